import Foundation

/// A window granted to a worker by ``FarmStore/acquireLease(workerID:ttl:now:)``.
public struct Lease: Sendable, Hashable {
    /// The lease's id: quote it when renewing, completing or failing.
    public var leaseID: String
    public var jobID: String
    public var windowIndex: Int
    public var firstFrame: Int
    public var frameCount: Int
    /// The job parameters as JSON text.
    public var spec: String
    /// When the lease runs out unless renewed.
    public var expiresAt: Date
    /// Which attempt this is for the window (1 for the first).
    public var attempt: Int
}

/// What ``FarmStore/completeLease(leaseID:result:digest:durationMs:)`` did with a result.
public enum CompletionOutcome: Sendable, Hashable {
    /// The result was stored and the window is done.
    case committed
    /// The lease is no longer the window's current lease (expired and reclaimed, reassigned, cancelled,
    /// rerun, or unknown): the result was discarded.
    case staleLease
    /// The window is already done (this lease's result was committed before, or another's was).
    case alreadyDone
}

/// What ``FarmStore/failLease(leaseID:error:logTail:backoff:)`` did.
public struct LeaseFailure: Sendable, Hashable {
    /// The window's fate.
    public enum Outcome: Sendable, Hashable {
        /// Back to pending; not leased again before `notBefore`.
        case retrying(notBefore: Date)
        /// Attempts exhausted: the window (and its job) failed.
        case windowFailed
        /// The lease was not current: nothing changed.
        case staleLease
    }

    public var outcome: Outcome
    /// True when this failure got the worker blocked for the job.
    public var workerBlocked: Bool
}

/// One row of `attempts`: the history of one lease.
public struct AttemptRecord: Sendable, Hashable {
    public var id: Int64
    public var jobID: String
    /// The window (or a group's first window); nil for a decode segment's attempt.
    public var windowIndex: Int?
    public var leaseID: String
    public var workerID: String
    public var startedAt: Date
    public var endedAt: Date?
    public var outcome: AttemptOutcome
    public var error: String?
    public var logTail: String?
    /// Set for a decode segment's attempt.
    public var segmentIndex: Int?

    static let columns = """
        id, job_id, window_index, lease_id, worker_id, extract(epoch FROM started_at)::float8 AS started_at,
        extract(epoch FROM ended_at)::float8 AS ended_at, outcome, error, log_tail, segment_index
        """

    init(row: PostgresRow) throws {
        id = try row.int64("id")
        jobID = try row.string("job_id")
        windowIndex = try row.optionalInt("window_index")
        leaseID = try row.string("lease_id")
        workerID = try row.string("worker_id")
        startedAt = try row.date("started_at")
        endedAt = try row.optionalDate("ended_at")
        outcome = try row.enumValue("outcome")
        error = try row.optionalString("error")
        logTail = try row.optionalString("log_tail")
        segmentIndex = try row.optionalInt("segment_index")
    }
}
