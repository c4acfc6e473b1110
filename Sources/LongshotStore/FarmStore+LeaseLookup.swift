import Foundation

/// The window a lease currently holds, with what is needed to check an upload against it.
public struct LeasedWindow: Sendable, Hashable {
    public var jobID: String
    public var index: Int
    public var firstFrame: Int
    public var frameCount: Int
    /// The job parameters as JSON text.
    public var spec: String
    /// When the lease's attempt started.
    public var leasedAt: Date
}

extension FarmStore {
    /// The window that `leaseID` is the current lease of, or nil when the lease is not current.
    public func windowForLease(leaseID: String) throws -> LeasedWindow? {
        let result = try connection.query(
            """
            SELECT w.job_id, w.index, w.first_frame, w.frame_count, j.spec::text AS spec,
                extract(epoch FROM coalesce(a.started_at, now()))::float8 AS leased_at
            FROM windows w JOIN jobs j ON j.id = w.job_id LEFT JOIN attempts a ON a.lease_id = w.lease_id
            WHERE w.lease_id = $1 AND w.state = 'leased'
            """, [.text(leaseID)])
        guard let row = result.first else { return nil }
        return LeasedWindow(
            jobID: try row.string("job_id"), index: try row.int("index"), firstFrame: try row.int("first_frame"),
            frameCount: try row.int("frame_count"), spec: try row.string("spec"), leasedAt: try row.date("leased_at"))
    }
}
