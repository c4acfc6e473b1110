import Foundation

extension FarmStore {
    /// Grants the worker the next window to denoise, or returns nil when there is none it may take.
    ///
    /// Picks the highest-priority, oldest schedulable job's lowest pending window whose backoff has passed,
    /// skipping jobs for another engine than the worker's and jobs the worker is blocked for, with `SELECT … FOR UPDATE SKIP LOCKED` so concurrent
    /// callers never get the same window. Marks it leased until `now + ttl`, counts the attempt, records
    /// an `attempts` row and moves the job from queued to running. A draining worker gets nothing.
    /// - Throws: ``FarmStoreError/unknownWorker(_:)`` for an unregistered worker, ``PostgresError``.
    public func acquireLease(workerID: String, ttl: Duration, now: Date? = nil) throws -> Lease? {
        try transaction { db in
            let worker = try db.query("SELECT drain FROM workers WHERE id = $1", [.text(workerID)])
            guard let workerRow = worker.first else { throw FarmStoreError.unknownWorker(workerID) }
            if try workerRow.bool("drain") {
                try touchWorker(workerID)
                return nil
            }
            let candidate = try db.query(
                """
                SELECT w.job_id, w.index, w.first_frame, w.frame_count, j.spec::text AS spec
                FROM windows w JOIN jobs j ON j.id = w.job_id
                WHERE w.state = 'pending' AND w.not_before <= \(SQLTime.clock(2))
                    AND j.state IN ('queued', 'running') AND coalesce(j.spec->>'fusion', '') <> 'codenoise'
                    AND coalesce(j.spec->>'engine', '') = ANY (string_to_array((SELECT engine FROM workers WHERE id = $1), ','))
                    AND NOT EXISTS (SELECT 1 FROM worker_blocks b WHERE b.job_id = w.job_id AND b.worker_id = $1 AND b.blocked)
                ORDER BY j.priority DESC, j.created_at, j.id, w.index
                LIMIT 1
                FOR UPDATE OF w SKIP LOCKED
                """, [.text(workerID), SQLTime.param(now)])
            guard let row = candidate.first else {
                try touchWorker(workerID)
                return nil
            }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let leaseID = Self.newID(prefix: "l")
            let leased = try db.query(
                """
                UPDATE windows SET state = 'leased', lease_id = $3, lease_owner = $4,
                    lease_expires_at = \(SQLTime.clock(5)) + \(SQLTime.interval(6)), attempts = attempts + 1, updated_at = now()
                WHERE job_id = $1 AND index = $2::int
                RETURNING attempts, extract(epoch FROM lease_expires_at)::float8 AS expires
                """, [.text(jobID), .int(index), .text(leaseID), .text(workerID), SQLTime.param(now), .double(ttl.seconds)])
            try db.query(
                "INSERT INTO attempts (job_id, window_index, lease_id, worker_id) VALUES ($1, $2::int, $3, $4)",
                [.text(jobID), .int(index), .text(leaseID), .text(workerID)])
            try db.query(
                "UPDATE jobs SET state = 'running', updated_at = now() WHERE id = $1 AND state IN \(JobState.sqlList(.leased))", [.text(jobID)])
            try db.query("UPDATE workers SET state = 'busy', last_seen_at = now() WHERE id = $1", [.text(workerID)])
            let attempt = try leased.first!.int("attempts")
            try appendEvent(
                jobID: jobID, windowIndex: index, kind: "lease.granted",
                message: "window \(index) leased to \(workerID) (attempt \(attempt))")
            return Lease(
                leaseID: leaseID, jobID: jobID, windowIndex: index, firstFrame: try row.int("first_frame"),
                frameCount: try row.int("frame_count"), spec: try row.string("spec"),
                expiresAt: try leased.first!.date("expires"), attempt: attempt)
        }
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
        try transaction { db in
            let stored = try db.query(
                """
                UPDATE windows SET state = 'done', result = $2, result_digest = $3, duration_ms = $4::bigint,
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased'
                RETURNING job_id, index
                """, [.text(leaseID), .bytes(result), .text(digest), .int64(durationMs)])
            guard let row = stored.first else {
                let window = try db.query(
                    """
                    SELECT w.state FROM attempts a JOIN windows w ON w.job_id = a.job_id AND w.index = a.window_index
                    WHERE a.lease_id = $1
                    """, [.text(leaseID)])
                return try window.first?.string("state") == WindowState.done.rawValue ? .alreadyDone : .staleLease
            }
            let attempt = try db.query(
                "UPDATE attempts SET outcome = 'done', ended_at = now() WHERE lease_id = $1 RETURNING worker_id",
                [.text(leaseID)])
            let workerID = try attempt.first!.string("worker_id")
            try refreshWorkerState(workerID)
            let index = try row.int("index")
            try appendEvent(
                jobID: try row.string("job_id"), windowIndex: index, kind: "window.done",
                message: "window \(index) done by \(workerID) in \(durationMs) ms")
            return .committed
        }
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
                    state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                    not_before = now() + \(SQLTime.interval(2)) * power(2, greatest(attempts - 1, 0)),
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased'
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

    /// Notes that the worker was seen now and recomputes its state.
    func touchWorker(_ workerID: String) throws {
        try connection.query("UPDATE workers SET last_seen_at = now() WHERE id = $1", [.text(workerID)])
        try refreshWorkerState(workerID)
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
