/// Errors of the farm's store logic (as opposed to ``PostgresError`` from the database).
public enum FarmStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The worker id is not registered (it should register again).
    case unknownWorker(String)
    /// The job does not exist.
    case unknownJob(String)

    public var description: String {
        switch self {
        case .unknownWorker(let id): return "unknown worker \(id): register again"
        case .unknownJob(let id): return "no job with id \(id)"
        }
    }
}
