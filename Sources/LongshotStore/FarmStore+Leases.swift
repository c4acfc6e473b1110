import Foundation

extension FarmStore {
    /// Grants the worker the next window to denoise, or returns nil when there is none it may take: the
    /// first of ``acquireLeases(workerID:count:ttl:now:)``.
    /// - Throws: ``FarmStoreError/unknownWorker(_:)`` for an unregistered worker, ``PostgresError``.
    public func acquireLease(workerID: String, ttl: Duration, now: Date? = nil) throws -> Lease? {
        try acquireLeases(workerID: workerID, count: 1, ttl: ttl, now: now).first
    }

    /// Extends a lease to `now + ttl`.
    /// - Returns: false when the lease is no longer current (reclaimed, reassigned, cancelled or finished).
    ///   A lease past its expiry that no sweep has reclaimed yet is still current and is renewed.
    public func renewLease(leaseID: String, ttl: Duration, now: Date? = nil) throws -> Bool {
        try transaction { db in
            let result = try db.query(
                """
                UPDATE windows SET lease_expires_at = \(SQLTime.clock(2)) + \(SQLTime.interval(3))
                WHERE lease_id = $1 AND state = 'leased' RETURNING lease_owner
                """, [.text(leaseID), SQLTime.param(now), .double(ttl.seconds)])
            var renewed = result
            for table in ["groups", "segments"] where renewed.rowCount == 0 {
                renewed = try db.query(
                    """
                    UPDATE \(table) SET lease_expires_at = \(SQLTime.clock(2)) + \(SQLTime.interval(3))
                    WHERE lease_id = $1 AND state = 'leased' RETURNING lease_owner
                    """, [.text(leaseID), SQLTime.param(now), .double(ttl.seconds)])
            }
            guard let owner = try renewed.first?.optionalString("lease_owner") else { return false }
            try db.query("UPDATE workers SET last_seen_at = now() WHERE id = $1", [.text(owner)])
            return true
        }
    }

    /// Stores a window's finished latents if the lease is still the window's current lease.
    ///
    /// Policy: the lease row is the single source of truth. A result is committed exactly when its lease
    /// is still on the window, even past its expiry time if no sweep (``expireLeases(now:)``,
    /// ``markWorkersOffline(silentFor:now:)``) has reclaimed it yet: nobody else can hold the window then, and
    /// the result is the same whoever computes it. Once reclaimed, a late result is discarded
    /// (``CompletionOutcome/staleLease``) even if the window has not been granted again, and a result is
    /// never committed twice.
    public func completeLease(leaseID: String, result: [UInt8], digest: String, durationMs: Int64) throws
        -> CompletionOutcome
    {
        try completeLeases([FinishedWindow(leaseID: leaseID, result: result, digest: digest, durationMs: durationMs)])[0]
    }

    /// Records a failed attempt. The window goes back to pending with exponential backoff
    /// (`backoff * 2^(attempts-1)`), or fails, failing its job, when its attempts are used up.
    /// The worker's failures on this job are counted; after ``blockAfterFailures`` it is blocked for the job.
    /// - Returns: what happened; ``LeaseFailure/Outcome/staleLease`` when the lease was not current.
    public func failLease(leaseID: String, error: String, logTail: String? = nil, backoff: Duration = .seconds(2))
        throws -> LeaseFailure
    {
        try transaction { db in
            let changed = try db.query(
                """
                UPDATE windows SET
                    state = \(WindowState.sqlAfterLease(.failed)),
                    not_before = now() + \(SQLTime.interval(2)) * power(2, greatest(attempts - 1, 0)),
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state IN \(WindowState.sqlList(.failed))
                RETURNING job_id, index, state, attempts, extract(epoch FROM not_before)::float8 AS not_before
                """, [.text(leaseID), .double(backoff.seconds)])
            guard let row = changed.first else { return LeaseFailure(outcome: .staleLease, workerBlocked: false) }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let attempts = try row.int("attempts")
            let workerID = try db.query(
                """
                UPDATE attempts SET outcome = 'failed', error = $2, log_tail = $3, ended_at = now()
                WHERE lease_id = $1 RETURNING worker_id
                """, [.text(leaseID), .text(error), .optional(logTail)]
            ).first!.string("worker_id")
            try appendEvent(
                jobID: jobID, windowIndex: index, kind: "attempt.failed",
                message: "window \(index) attempt \(attempts) failed on \(workerID): \(error)")
            let windowFailed = try row.string("state") == WindowState.failed.rawValue
            if windowFailed {
                try appendEvent(jobID: jobID, windowIndex: index, kind: "window.failed", message: "window \(index) failed after \(attempts) attempts")
                try failJob(jobID, error: "window \(index) failed after \(attempts) attempts: \(error)")
            }
            let blocked = try recordFailure(jobID: jobID, workerID: workerID)
            try refreshWorkerState(workerID)
            if windowFailed { return LeaseFailure(outcome: .windowFailed, workerBlocked: blocked) }
            let notBefore = try row.date("not_before")
            return LeaseFailure(outcome: .retrying(notBefore: notBefore), workerBlocked: blocked)
        }
    }

    /// Reclaims every lease whose expiry is at or before `now` (nil: the database clock): the attempt ends
    /// `expired` and the window goes back to pending (or fails when its attempts are used up).
    /// - Returns: how many leases were reclaimed.
    @discardableResult
    public func expireLeases(now: Date? = nil) throws -> Int {
        try transaction { _ in try releaseLeases(.expired(now: now), outcome: .expired, error: "lease expired") }
    }

    /// Counts a failure of `workerID` on `jobID` and blocks the worker once it reaches ``blockAfterFailures``.
    /// - Returns: true when this failure blocked the worker.
    func recordFailure(jobID: String, workerID: String) throws -> Bool {
        let row = try connection.query(
            """
            INSERT INTO worker_blocks AS b (job_id, worker_id, failures, blocked) VALUES ($1, $2, 1, 1 >= $3::int)
            ON CONFLICT (job_id, worker_id) DO UPDATE
                SET failures = b.failures + 1, blocked = b.blocked OR b.failures + 1 >= $3::int, updated_at = now()
            RETURNING blocked, failures
            """, [.text(jobID), .text(workerID), .int(blockAfterFailures)]
        ).first!
        let failures = try row.int("failures")
        guard try row.bool("blocked"), failures == blockAfterFailures else { return false }
        try appendEvent(
            jobID: jobID, kind: "worker.blocked", message: "worker \(workerID) blocked for this job after \(failures) failures")
        return true
    }
}
