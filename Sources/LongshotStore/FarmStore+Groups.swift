import Foundation

extension FarmStore {
    /// Grants the worker a codenoise group (a contiguous run of a job's windows for every remaining step),
    /// or nil when there is none it may take.
    ///
    /// A codenoise job is split into groups at its first grant, one per slot of the live workers of its
    /// engine (at most one per window). A group resumes from its newest checkpoint. With `adoptJobID` the
    /// worker takes a group of that job beyond its slots and even while draining: its own groups of the job
    /// wait at a step barrier for a group nobody holds.
    public func acquireGroupLease(workerID: String, ttl: Duration, adoptJobID: String? = nil, now: Date? = nil) throws
        -> GroupLease?
    {
        try transaction { db in
            let worker = try db.query("SELECT drain, engine FROM workers WHERE id = $1", [.text(workerID)])
            guard let workerRow = worker.first else { throw FarmStoreError.unknownWorker(workerID) }
            if adoptJobID == nil, try workerRow.bool("drain") { return nil }
            for engine in try workerRow.string("engine").split(separator: ",") { try planGroups(engine: String(engine)) }
            let candidate = try db.query(
                """
                SELECT g.job_id, g.index, g.first_window, g.window_count, g.checkpoint_step, j.spec::text AS spec,
                    (SELECT count(*)::int FROM groups c WHERE c.job_id = g.job_id) AS group_count
                FROM groups g JOIN jobs j ON j.id = g.job_id
                WHERE g.state IN \(WindowState.sqlList(.granted)) AND g.not_before <= \(SQLTime.clock(2))
                    AND j.state IN ('queued', 'running')
                    AND ($3::text IS NULL OR g.job_id = $3)
                    AND coalesce(j.spec->>'engine', '') = ANY (string_to_array((SELECT engine FROM workers WHERE id = $1), ','))
                    AND NOT EXISTS (SELECT 1 FROM worker_blocks b WHERE b.job_id = g.job_id AND b.worker_id = $1 AND b.blocked)
                ORDER BY j.priority DESC, j.created_at, j.id, g.index
                LIMIT 1
                FOR UPDATE OF g SKIP LOCKED
                """, [.text(workerID), SQLTime.param(now), .optional(adoptJobID)])
            guard let row = candidate.first else { return nil }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let firstWindow = try row.int("first_window")
            let leaseID = Self.newID(prefix: "g")
            let leased = try db.query(
                """
                UPDATE groups SET state = '\(WindowState.pending.on(.granted)!.rawValue)', lease_id = $3, lease_owner = $4,
                    lease_expires_at = \(SQLTime.clock(5)) + \(SQLTime.interval(6)), attempts = attempts + 1,
                    step = checkpoint_step, updated_at = now()
                WHERE job_id = $1 AND index = $2::int
                RETURNING attempts, extract(epoch FROM lease_expires_at)::float8 AS expires
                """, [.text(jobID), .int(index), .text(leaseID), .text(workerID), SQLTime.param(now), .double(ttl.seconds)])
            try db.query(
                "INSERT INTO attempts (job_id, window_index, group_index, lease_id, worker_id) VALUES ($1, $2::int, $3::int, $4, $5)",
                [.text(jobID), .int(firstWindow), .int(index), .text(leaseID), .text(workerID)])
            try db.query("UPDATE jobs SET state = 'running', updated_at = now() WHERE id = $1 AND state IN \(JobState.sqlList(.leased))", [.text(jobID)])
            try db.query("UPDATE workers SET state = 'busy', last_seen_at = now() WHERE id = $1", [.text(workerID)])
            let step = try row.int("checkpoint_step")
            var checkpoint: [UInt8]?
            if step > 0 {
                checkpoint = try db.query(
                    "SELECT data FROM group_checkpoints WHERE job_id = $1 AND group_index = $2::int AND step = $3::int",
                    [.text(jobID), .int(index), .int(step)], format: .binary
                ).first?.bytes(0)
                guard checkpoint != nil else { throw FarmStoreError.unknownJob("\(jobID) (group \(index) has no checkpoint at step \(step))") }
            }
            let attempt = try leased.first!.int("attempts")
            try appendEvent(
                jobID: jobID, windowIndex: firstWindow, kind: "group.leased",
                message: "group \(index) leased to \(workerID) (attempt \(attempt), from step \(step))")
            return GroupLease(
                leaseID: leaseID, jobID: jobID, groupIndex: index, groupCount: try row.int("group_count"),
                firstWindow: firstWindow, windowCount: try row.int("window_count"), spec: try row.string("spec"),
                expiresAt: try leased.first!.date("expires"), attempt: attempt, checkpointStep: step, checkpoint: checkpoint)
        }
    }

    /// Splits every schedulable codenoise job of `engine` that has no groups yet into groups, one per slot of
    /// the engine's live workers.
    func planGroups(engine: String) throws {
        let unplanned = try connection.query(
            """
            SELECT j.id, j.window_count FROM jobs j
            WHERE j.state IN ('queued', 'running') AND j.spec->>'fusion' = 'codenoise'
                AND coalesce(j.spec->>'engine', '') = $1
                AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.job_id = j.id)
            ORDER BY j.priority DESC, j.created_at, j.id
            """, [.text(engine)])
        guard !unplanned.rows.isEmpty else { return }
        let slots = try connection.query(
            "SELECT coalesce(sum(slots), 0)::int FROM workers WHERE state <> 'offline' AND NOT drain AND $1 = ANY (string_to_array(engine, ','))",
            [.text(engine)]
        ).first!.int(0)
        for row in unplanned.rows {
            let jobID = try row.string(0)
            // Two workers asking at once: the second waits here, then sees the first one's groups.
            try connection.query("SELECT pg_advisory_xact_lock(hashtext('longshot.groups:' || $1))", [.text(jobID)])
            guard try connection.query("SELECT 1 FROM groups WHERE job_id = $1", [.text(jobID)]).rowCount == 0 else { continue }
            let sizes = groupSizes(windows: try row.int(1), groups: slots)
            let firsts = sizes.indices.map { sizes[..<$0].reduce(0, +) }
            try connection.query(
                """
                INSERT INTO groups (job_id, index, first_window, window_count, max_attempts)
                SELECT $1, i - 1, f, c, (SELECT max(max_attempts) FROM windows WHERE job_id = $1)
                FROM unnest($2::int[], $3::int[]) WITH ORDINALITY AS g (f, c, i)
                """, [.text(jobID), .intArray(firsts), .intArray(sizes)])
            try appendEvent(jobID: jobID, kind: "job.grouped", message: "split into \(sizes.count) window groups of \(sizes.map(String.init).joined(separator: ", ")) windows")
        }
    }

    /// The group `leaseID` is the current lease of, or nil.
    public func groupForLease(leaseID: String) throws -> LeasedGroup? {
        let result = try connection.query(
            """
            SELECT g.job_id, g.index, g.first_window, g.window_count, j.spec::text AS spec,
                extract(epoch FROM coalesce(a.started_at, now()))::float8 AS leased_at
            FROM groups g JOIN jobs j ON j.id = g.job_id LEFT JOIN attempts a ON a.lease_id = g.lease_id
            WHERE g.lease_id = $1 AND g.state = 'leased'
            """, [.text(leaseID)])
        guard let row = result.first else { return nil }
        return LeasedGroup(
            jobID: try row.string("job_id"), index: try row.int("index"), firstWindow: try row.int("first_window"),
            windowCount: try row.int("window_count"), spec: try row.string("spec"), leasedAt: try row.date("leased_at"))
    }

    /// The job's groups in order (empty for an independent job or one not started yet).
    public func groups(jobID: String) throws -> [GroupRecord] {
        try connection.query("SELECT \(GroupRecord.columns) FROM groups WHERE job_id = $1 ORDER BY index", [.text(jobID)])
            .rows.map(GroupRecord.init)
    }

    /// Notes a group's progress (steps done) for `show` and `status`.
    public func setGroupStep(leaseID: String, step: Int) throws {
        try connection.query(
            "UPDATE groups SET step = greatest(step, $2::int) WHERE lease_id = $1 AND state = 'leased'",
            [.text(leaseID), .int(step)])
    }

    /// Stores the group's fused latents after `step` if the lease is current, and deletes the job's
    /// checkpoints no group can need any more (older than the oldest group's newest).
    /// - Returns: the job's checkpoint floor (the newest step every group has a checkpoint of, 0: none),
    ///   or nil when the lease is not current.
    public func saveGroupCheckpoint(leaseID: String, step: Int, data: [UInt8]) throws -> Int? {
        try transaction { db in
            let group = try db.query(
                "UPDATE groups SET checkpoint_step = greatest(checkpoint_step, $2::int), step = greatest(step, $2::int) WHERE lease_id = $1 AND state = 'leased' RETURNING job_id, index",
                [.text(leaseID), .int(step)])
            guard let row = group.first else { return nil }
            let jobID = try row.string("job_id")
            try db.query(
                """
                INSERT INTO group_checkpoints (job_id, group_index, step, data) VALUES ($1, $2::int, $3::int, $4)
                ON CONFLICT (job_id, group_index, step) DO NOTHING
                """, [.text(jobID), .int(try row.int("index")), .int(step), .bytes(data)])
            let floor = try db.query("SELECT min(checkpoint_step)::int FROM groups WHERE job_id = $1", [.text(jobID)]).first!.int(0)
            try db.query("DELETE FROM group_checkpoints WHERE job_id = $1 AND step < $2::int", [.text(jobID), .int(floor)])
            return floor
        }
    }

    /// Stores a finished group: its windows become done with their slices of the group's final latents.
    public func completeGroup(leaseID: String, windows results: [WindowResult], durationMs: Int64) throws -> CompletionOutcome {
        try transaction { db in
            let done = try db.query(
                """
                UPDATE groups SET state = 'done', step = (SELECT (spec->>'steps')::int FROM jobs WHERE id = groups.job_id),
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased' RETURNING job_id, index, first_window, window_count
                """, [.text(leaseID)])
            guard let row = done.first else {
                let state = try db.query(
                    "SELECT g.state FROM attempts a JOIN groups g ON g.job_id = a.job_id AND g.index = a.group_index WHERE a.lease_id = $1",
                    [.text(leaseID)]
                ).first?.string("state")
                return state == WindowState.done.rawValue ? .alreadyDone : .staleLease
            }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            for result in results {
                try db.query(
                    """
                    UPDATE windows SET state = 'done', result = $3, result_digest = $4, duration_ms = $5::bigint,
                        attempts = greatest(attempts, 1), updated_at = now()
                    WHERE job_id = $1 AND index = $2::int
                    """, [.text(jobID), .int(result.index), .bytes(result.bytes), .optional(result.digest), .int64(durationMs)])
            }
            let worker = try db.query(
                "UPDATE attempts SET outcome = 'done', ended_at = now() WHERE lease_id = $1 RETURNING worker_id", [.text(leaseID)]
            ).first!.string("worker_id")
            try refreshWorkerState(worker)
            try appendEvent(
                jobID: jobID, windowIndex: try row.int("first_window"), kind: "group.done",
                message: "group \(index) (\(try row.int("window_count")) windows) done by \(worker) in \(durationMs) ms")
            return .committed
        }
    }

    /// Records a failed group attempt: the group goes back to pending with backoff (resuming from its
    /// checkpoint), or fails with its windows and job when its attempts are used up.
    public func failGroupLease(leaseID: String, error: String, logTail: String?, backoff: Duration) throws -> LeaseFailure {
        try transaction { db in
            let changed = try db.query(
                """
                UPDATE groups SET
                    state = \(WindowState.sqlAfterLease(.failed)),
                    not_before = now() + \(SQLTime.interval(2)) * power(2, greatest(attempts - 1, 0)),
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased'
                RETURNING job_id, index, first_window, state, attempts, extract(epoch FROM not_before)::float8 AS not_before
                """, [.text(leaseID), .double(backoff.seconds)])
            guard let row = changed.first else { return LeaseFailure(outcome: .staleLease, workerBlocked: false) }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let attempts = try row.int("attempts")
            let workerID = try db.query(
                "UPDATE attempts SET outcome = 'failed', error = $2, log_tail = $3, ended_at = now() WHERE lease_id = $1 RETURNING worker_id",
                [.text(leaseID), .text(error), .optional(logTail)]
            ).first!.string("worker_id")
            try appendEvent(
                jobID: jobID, windowIndex: try row.int("first_window"), kind: "attempt.failed",
                message: "group \(index) attempt \(attempts) failed on \(workerID): \(error)")
            let failed = try row.string("state") == WindowState.failed.rawValue
            if failed { try failGroup(jobID: jobID, index: index, attempts: attempts, error: error) }
            let blocked = try recordFailure(jobID: jobID, workerID: workerID)
            try refreshWorkerState(workerID)
            if failed { return LeaseFailure(outcome: .windowFailed, workerBlocked: blocked) }
            return LeaseFailure(outcome: .retrying(notBefore: try row.date("not_before")), workerBlocked: blocked)
        }
    }

    /// Marks a group's windows failed and fails the job.
    private func failGroup(jobID: String, index: Int, attempts: Int, error: String) throws {
        try connection.query(
            """
            UPDATE windows w SET state = 'failed', updated_at = now() FROM groups g
            WHERE g.job_id = $1 AND g.index = $2::int AND w.job_id = g.job_id
                AND w.index >= g.first_window AND w.index < g.first_window + g.window_count AND w.state = 'pending'
            """, [.text(jobID), .int(index)])
        try appendEvent(jobID: jobID, kind: "group.failed", message: "group \(index) failed after \(attempts) attempts")
        try failJob(jobID, error: "window group \(index) failed after \(attempts) attempts: \(error)")
    }

    /// Takes group leases back inside the caller's transaction, as ``releaseLeases(_:outcome:error:)`` does
    /// for windows (`cancelled` does not count as an attempt; `expired` does, and fails a group out of attempts).
    @discardableResult
    func releaseGroupLeases(_ filter: LeaseFilter, outcome: AttemptOutcome, error: String) throws -> Int {
        if case .windows = filter { return 0 }
        let released = try takeBack(table: "groups", filter, outcome: outcome, error: error)
        var owners = Set<String>()
        for row in released.rows {
            if let owner = try row.optionalString("lease_owner") { owners.insert(owner) }
            guard outcome == .expired else { continue }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            if try row.string("state") == WindowState.failed.rawValue {
                try failGroup(jobID: jobID, index: index, attempts: try row.int("attempts"), error: error)
            } else {
                try appendEvent(
                    jobID: jobID, windowIndex: try row.int("window_index"), kind: "lease.expired",
                    message: "group \(index) lease expired (\(error)); it resumes from its checkpoint")
            }
        }
        for owner in owners { try refreshWorkerState(owner) }
        return released.rowCount
    }

    /// Brings every group of the job back to the newest checkpoint all of them have (the floor): leases are
    /// cancelled, done groups and their windows go back to pending, newer checkpoints are deleted. Used when
    /// the farm lost the halos exchanged since the floor (a coordinator restart) and by a rerun.
    /// - Returns: the step the job resumes from, or nil when it has no groups.
    @discardableResult
    func rollBackGroups(jobID: String, reason: String) throws -> Int? {
        let floor = try connection.query("SELECT min(checkpoint_step)::int FROM groups WHERE job_id = $1", [.text(jobID)])
            .first?.optionalInt(0)
        guard let floor else { return nil }
        try releaseGroupLeases(.job(jobID), outcome: .cancelled, error: reason)
        try connection.query("DELETE FROM group_checkpoints WHERE job_id = $1 AND step > $2::int", [.text(jobID), .int(floor)])
        try connection.query(
            """
            UPDATE groups SET state = 'pending', checkpoint_step = $2::int, step = $2::int, not_before = now(),
                attempts = CASE WHEN state = 'failed' THEN 0 ELSE attempts END, updated_at = now()
            WHERE job_id = $1
            """, [.text(jobID), .int(floor)])
        try connection.query(
            """
            UPDATE windows SET state = 'pending', result = NULL, result_digest = NULL, duration_ms = NULL, updated_at = now()
            WHERE job_id = $1 AND state <> 'pending'
            """, [.text(jobID)])
        try appendEvent(jobID: jobID, kind: "job.rollback", message: "every group resumes from step \(floor): \(reason)")
        return floor
    }

    /// After a coordinator restart: every unfinished codenoise job resumes from its checkpoint floor, since
    /// the halos exchanged after it lived in the previous coordinator's memory.
    /// - Returns: the jobs rolled back and the step each resumes from.
    public func rollBackRunningGroups(reason: String) throws -> [(jobID: String, step: Int)] {
        try transaction { db in
            let jobs = try db.query(
                """
                SELECT id FROM jobs j WHERE state IN ('queued', 'running')
                    AND EXISTS (SELECT 1 FROM groups g WHERE g.job_id = j.id) ORDER BY id
                """)
            return try jobs.rows.compactMap { row in
                let id = try row.string(0)
                return try rollBackGroups(jobID: id, reason: reason).map { (id, $0) }
            }
        }
    }
}

extension FarmStore {
    /// Groups of the job that are pending and have been for at least `pendingFor`: nobody took them.
    public func orphanedGroups(jobID: String, pendingFor: Duration) throws -> Int {
        try connection.query(
            """
            SELECT count(*)::int FROM groups g JOIN jobs j ON j.id = g.job_id
            WHERE g.job_id = $1 AND g.state = 'pending' AND j.state IN ('queued', 'running')
                AND g.updated_at <= now() - \(SQLTime.interval(2)) AND g.not_before <= now()
            """, [.text(jobID), .double(pendingFor.seconds)]
        ).first!.int(0)
    }
}

/// A leased group, for `status`.
public struct RunningGroup: Sendable, Hashable {
    public var jobID: String
    public var index: Int
    public var owner: String
    public var step: Int
    public var windowCount: Int
}

extension FarmStore {
    /// Every leased group, by job and index.
    public func runningGroups() throws -> [RunningGroup] {
        try connection.query(
            "SELECT job_id, index, lease_owner, step, window_count FROM groups WHERE state = 'leased' AND lease_owner IS NOT NULL ORDER BY job_id, index"
        ).rows.map {
            RunningGroup(jobID: try $0.string(0), index: try $0.int(1), owner: try $0.string(2), step: try $0.int(3), windowCount: try $0.int(4))
        }
    }
}
