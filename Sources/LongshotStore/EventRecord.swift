import Foundation

/// One row of `events`: a line of a job's (or the farm's) log.
public struct EventRecord: Sendable, Hashable {
    public var id: Int64
    public var jobID: String?
    public var windowIndex: Int?
    public var time: Date
    /// A short machine-readable kind, such as `lease.granted` or `window.failed`.
    public var kind: String
    public var message: String

    static let columns = "id, job_id, window_index, extract(epoch FROM time)::float8 AS time, kind, message"

    init(row: PostgresRow) throws {
        id = try row.int64("id")
        jobID = try row.optionalString("job_id")
        windowIndex = try row.optionalInt("window_index")
        time = try row.date("time")
        kind = try row.string("kind")
        message = try row.string("message")
    }
}

extension PostgresRow {
    /// A column holding seconds since 1970 (`extract(epoch FROM …)::float8`) as a `Date`.
    func date(_ name: String) throws -> Date { Date(timeIntervalSince1970: try double(name)) }
    /// Like ``date(_:)``, nil for NULL.
    func optionalDate(_ name: String) throws -> Date? {
        try optionalDouble(name).map { Date(timeIntervalSince1970: $0) }
    }
    /// A text column holding a raw value of `T`.
    func enumValue<T: RawRepresentable>(_ name: String) throws -> T where T.RawValue == String {
        let text = try string(name)
        guard let value = T(rawValue: text) else { throw result.decodeError("unexpected \(name) value \(text)") }
        return value
    }
}
