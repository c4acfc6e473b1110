import Foundation

/// Which leased windows ``FarmStore/releaseLeases(_:outcome:error:)`` takes back.
enum LeaseFilter {
    /// Every lease on the job's windows.
    case job(String)
    /// Leases on these windows of the job.
    case windows(jobID: String, indices: [Int])
    /// Every lease the worker holds.
    case worker(String)
    /// These leases, where the worker still holds them.
    case leases(workerID: String, ids: [String])
    /// Leases whose expiry is at or before `now` (nil: the database clock); locked rows are skipped.
    case expired(now: Date?)

    var clause: String {
        switch self {
        case .job: return "job_id = $4"
        case .windows: return "job_id = $4 AND index = ANY ($5::int[])"
        case .worker: return "lease_owner = $4"
        case .leases: return "lease_owner = $4 AND lease_id = ANY ($5::text[])"
        case .expired: return "lease_expires_at <= \(SQLTime.clock(4))"
        }
    }

    var params: [PostgresValue] {
        switch self {
        case .job(let id), .worker(let id): return [.text(id)]
        case .windows(let id, let indices): return [.text(id), .intArray(indices)]
        case .leases(let worker, let ids): return [.text(worker), .textArray(ids)]
        case .expired(let now): return [SQLTime.param(now)]
        }
    }

    var lockMode: String {
        if case .expired = self { return "FOR UPDATE SKIP LOCKED" }
        return "FOR UPDATE"
    }
}

extension FarmStore {
    /// Takes leases back inside the caller's transaction. Lock order everywhere in the store is
    /// windows (by job id, then index) before jobs, so concurrent sweeps, cancels and grants cannot deadlock.
    ///
    /// A `cancelled` lease does not count as an attempt and the window goes back to pending. An `expired`
    /// lease counts: the window goes back to pending at once, or fails (failing its job) when its attempts are
    /// used up, so a window that kills every worker cannot loop forever.
    /// - Returns: how many leases were released.
    @discardableResult
    func releaseLeases(_ filter: LeaseFilter, outcome: AttemptOutcome, error: String) throws -> Int {
        precondition(outcome == .cancelled || outcome == .expired)
        let released = try takeBack(table: "windows", filter, outcome: outcome, error: error)
        var owners = Set<String>()
        for row in released.rows {
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            if let owner = try row.optionalString("lease_owner") { owners.insert(owner) }
            guard outcome == .expired else { continue }
            if try row.string("state") == WindowState.failed.rawValue {
                let attempts = try row.int("attempts")
                try failJob(jobID, error: "window \(index) failed after \(attempts) attempts: \(error)")
                try appendEvent(jobID: jobID, windowIndex: index, kind: "window.failed", message: "lease expired (\(error)); no attempts left")
            } else {
                try appendEvent(jobID: jobID, windowIndex: index, kind: "lease.expired", message: "lease expired (\(error)); window pending again")
            }
        }
        for owner in owners { try refreshWorkerState(owner) }
        return released.rowCount + (try releaseGroupLeases(filter, outcome: outcome, error: error))
            + (try releaseSegmentLeases(filter, outcome: outcome, error: error))
    }

    /// The UPDATE that takes leases of `table` (windows, groups or segments, which share their lease columns) back
    /// and ends their attempts; rows: job_id, index, state, attempts, lease_owner, window_index (of the attempt).
    func takeBack(table: String, _ filter: LeaseFilter, outcome: AttemptOutcome, error: String) throws -> PostgresResult {
        try connection.query(
            """
            WITH old AS (
                SELECT job_id, index, lease_id, lease_owner FROM \(table)
                WHERE state IN \(WindowState.sqlList(.expired)) AND \(filter.clause) ORDER BY job_id, index \(filter.lockMode)),
            changed AS (
                UPDATE \(table) t SET
                    state = CASE WHEN $3::bool THEN '\(WindowState.leased.on(.givenBack)!.rawValue)' ELSE \(WindowState.sqlAfterLease(.expired, attempts: "t.attempts", maxAttempts: "t.max_attempts")) END,
                    attempts = CASE WHEN $3::bool THEN greatest(t.attempts - 1, 0) ELSE t.attempts END,
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, not_before = now(), updated_at = now()
                FROM old WHERE t.job_id = old.job_id AND t.index = old.index
                RETURNING t.job_id, t.index, t.state, t.attempts, old.lease_id, old.lease_owner)
            UPDATE attempts a SET outcome = $1, error = $2, ended_at = now()
            FROM changed WHERE a.lease_id = changed.lease_id
            RETURNING changed.job_id, changed.index, changed.state, changed.attempts, changed.lease_owner, a.window_index
            """, [.text(outcome.rawValue), .text(error), .bool(outcome == .cancelled)] + filter.params)
    }

    /// Marks a job failed unless it already finished.
    func failJob(_ jobID: String, error: String) throws {
        let result = try connection.query(
            """
            UPDATE jobs SET state = 'failed', error = $2, updated_at = now()
            WHERE id = $1 AND state IN \(JobState.sqlList(.failed))
            """, [.text(jobID), .text(error)])
        if result.affectedRows == 1 { try appendEvent(jobID: jobID, kind: "job.failed", message: error) }
    }

    /// Recomputes a worker's state: offline stays offline, then blocked, then draining when drained, busy
    /// while it holds a lease, else idle.
    func refreshWorkerState(_ workerID: String) throws {
        try connection.query(
            """
            UPDATE workers SET state = \(WorkerState.sqlDerived()) WHERE id = $1
            """, [.text(workerID)])
    }
}
