import Foundation

/// A finished window handed in with ``FarmStore/completeLeases(_:workerID:)``.
public struct FinishedWindow: Sendable, Hashable {
    public var leaseID: String
    /// The window's latents as little-endian float32 bytes.
    public var result: [UInt8]
    public var digest: String
    public var durationMs: Int64

    public init(leaseID: String, result: [UInt8], digest: String, durationMs: Int64) {
        self.leaseID = leaseID
        self.result = result
        self.digest = digest
        self.durationMs = durationMs
    }
}

extension FarmStore {
    /// Grants the worker up to `count` windows in one statement (one round trip, one commit).
    ///
    /// The highest-priority, oldest schedulable jobs' lowest pending windows whose backoff has passed, for the worker's engines,
    /// not of a job it is blocked for, none to a draining worker; `SKIP LOCKED` keeps concurrent callers
    /// apart. Each grant counts an attempt, writes its `attempts` row and a `lease.granted` event; jobs
    /// move from queued to running; the worker is marked seen and busy (or idle when nothing was granted
    /// and it holds nothing).
    ///
    /// Of the `count`, `immediate` are for slots idle now; the rest are prefetched (queued at the worker
    /// behind its running windows) only from the windows pending beyond one per slot of the farm, and at
    /// most a worker's share of those, so a job's windows spread over every worker and its last round is
    /// never queued behind busy slots while others stand idle.
    /// - Returns: the leases in grant order (empty when there is nothing the worker may take).
    /// - Throws: ``FarmStoreError/unknownWorker(_:)`` for an unregistered worker, ``PostgresError``.
    public func acquireLeases(workerID: String, count: Int, immediate: Int? = nil, ttl: Duration, now: Date? = nil) throws -> [Lease] {
        let ids = (0..<max(count, 0)).map { _ in Self.newID(prefix: "l") }
        let result = try connection.query(
            """
            WITH me AS (SELECT drain, engine FROM workers WHERE id = $1),
            farm AS (SELECT coalesce(sum(slots), 0) AS slots, greatest(count(*), 1) AS workers FROM workers WHERE state <> 'offline'),
            spare AS (
                SELECT greatest(0, (SELECT count(*) FROM windows WHERE state = 'pending') - (SELECT slots FROM farm))
                    / (SELECT workers FROM farm) AS n),
            picked AS (
                SELECT w.job_id, w.index, j.priority, j.created_at
                FROM windows w JOIN jobs j ON j.id = w.job_id
                WHERE w.state IN \(WindowState.sqlList(.granted)) AND w.not_before <= \(SQLTime.clock(2))
                    AND j.state IN ('queued', 'running') AND coalesce(j.spec->>'fusion', '') <> 'codenoise'
                    AND coalesce(j.spec->>'engine', '') = ANY (string_to_array((SELECT engine FROM me), ','))
                    AND NOT coalesce((SELECT drain FROM me), true)
                    AND NOT EXISTS (SELECT 1 FROM worker_blocks b WHERE b.job_id = w.job_id AND b.worker_id = $1 AND b.blocked)
                ORDER BY j.priority DESC, j.created_at, j.id, w.index
                LIMIT least($3::int, $6::int + (SELECT n FROM spare))
                FOR UPDATE OF w SKIP LOCKED),
            numbered AS (
                SELECT job_id, index, (row_number() OVER (ORDER BY priority DESC, created_at, job_id, index))::int AS n
                FROM picked),
            leased AS (
                UPDATE windows w SET state = '\(WindowState.pending.on(.granted)!.rawValue)', lease_id = ($4::text[])[numbered.n], lease_owner = $1,
                    lease_expires_at = \(SQLTime.clock(2)) + \(SQLTime.interval(5)), attempts = w.attempts + 1,
                    updated_at = now()
                FROM numbered WHERE w.job_id = numbered.job_id AND w.index = numbered.index
                RETURNING w.job_id, w.index, w.first_frame, w.frame_count, w.lease_id, w.attempts, w.lease_expires_at, numbered.n),
            attempt AS (
                INSERT INTO attempts (job_id, window_index, lease_id, worker_id)
                SELECT job_id, index, lease_id, $1 FROM leased ORDER BY n),
            event AS (
                INSERT INTO events (job_id, window_index, kind, message)
                SELECT job_id, index, 'lease.granted', 'window ' || index || ' leased to ' || $1 || ' (attempt ' || attempts || ')'
                FROM leased ORDER BY n),
            started AS (
                UPDATE jobs SET state = 'running', updated_at = now()
                WHERE id IN (SELECT job_id FROM leased) AND state IN \(JobState.sqlList(.leased))),
            seen AS (
                UPDATE workers SET last_seen_at = now(),
                    state = \(WorkerState.sqlDerived(holdsLease: "(EXISTS (SELECT 1 FROM leased) OR \(WorkerState.sqlHoldsLease))"))
                WHERE id = $1)
            SELECT (SELECT count(*) FROM me) AS known, l.job_id, l.index, l.first_frame, l.frame_count, l.lease_id,
                l.attempts, extract(epoch FROM l.lease_expires_at)::float8 AS expires, j.spec::text AS spec
            FROM (SELECT 1) AS one LEFT JOIN leased l ON true LEFT JOIN jobs j ON j.id = l.job_id
            ORDER BY l.n
            """,
            [.text(workerID), SQLTime.param(now), .int(ids.count), .textArray(ids), .double(ttl.seconds), .int(immediate ?? ids.count)])
        guard let first = result.first, try first.int("known") > 0 else { throw FarmStoreError.unknownWorker(workerID) }
        return try result.rows.compactMap { row in
            guard let leaseID = try row.optionalString("lease_id") else { return nil }
            return Lease(
                leaseID: leaseID, jobID: try row.string("job_id"), windowIndex: try row.int("index"),
                firstFrame: try row.int("first_frame"), frameCount: try row.int("frame_count"), spec: try row.string("spec"),
                expiresAt: try row.date("expires"), attempt: try row.int("attempts"))
        }
    }

    /// Stores finished windows in one transaction, each exactly when its lease is still the window's
    /// current lease (the policy told at ``completeLease(leaseID:result:digest:durationMs:)``), ending its
    /// attempt and writing a `window.done` event.
    /// - Returns: one outcome per result, in order.
    public func completeLeases(_ results: [FinishedWindow]) throws -> [CompletionOutcome] {
        guard !results.isEmpty else { return [] }
        return try transaction { db in
            var outcomes: [CompletionOutcome] = []
            var owners = Set<String>()
            for r in results {
                let stored = try db.query(
                    """
                    WITH stored AS (
                        UPDATE windows SET state = '\(WindowState.leased.on(.completed)!.rawValue)', result = $2,
                            result_digest = $3, duration_ms = $4::bigint,
                            lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                        WHERE lease_id = $1 AND state IN \(WindowState.sqlList(.completed))
                        RETURNING job_id, index),
                    ended AS (
                        UPDATE attempts a SET outcome = 'done', ended_at = now()
                        FROM stored WHERE a.lease_id = $1 RETURNING a.worker_id),
                    event AS (
                        INSERT INTO events (job_id, window_index, kind, message)
                        SELECT s.job_id, s.index, 'window.done',
                            'window ' || s.index || ' done by ' || (SELECT worker_id FROM ended) || ' in ' || $4 || ' ms'
                        FROM stored s)
                    SELECT (SELECT worker_id FROM ended) AS worker_id FROM stored
                    """, [.text(r.leaseID), .bytes(r.result), .text(r.digest), .int64(r.durationMs)])
                if let row = stored.first {
                    if let owner = try row.optionalString("worker_id") { owners.insert(owner) }
                    outcomes.append(.committed)
                    continue
                }
                let window = try db.query(
                    """
                    SELECT w.state FROM attempts a JOIN windows w ON w.job_id = a.job_id AND w.index = a.window_index
                    WHERE a.lease_id = $1
                    """, [.text(r.leaseID)])
                outcomes.append(try window.first?.string("state") == WindowState.done.rawValue ? .alreadyDone : .staleLease)
            }
            for owner in owners { try refreshWorkerState(owner) }
            return outcomes
        }
    }

    /// The windows that these leases are the current leases of, by lease id, where `workerID` holds them
    /// (absent: not current, or another worker's).
    public func windowsForLeases(_ leaseIDs: [String], workerID: String) throws -> [String: LeasedWindow] {
        guard !leaseIDs.isEmpty else { return [:] }
        let result = try connection.query(
            """
            SELECT w.lease_id, w.job_id, w.index, w.first_frame, w.frame_count, j.spec::text AS spec,
                extract(epoch FROM coalesce(a.started_at, now()))::float8 AS leased_at
            FROM windows w JOIN jobs j ON j.id = w.job_id LEFT JOIN attempts a ON a.lease_id = w.lease_id
            WHERE w.lease_id = ANY ($1::text[]) AND w.state = 'leased' AND w.lease_owner = $2
            """, [.textArray(leaseIDs), .text(workerID)])
        var found: [String: LeasedWindow] = [:]
        for row in result.rows {
            found[try row.string("lease_id")] = LeasedWindow(
                jobID: try row.string("job_id"), index: try row.int("index"), firstFrame: try row.int("first_frame"),
                frameCount: try row.int("frame_count"), spec: try row.string("spec"), leasedAt: try row.date("leased_at"))
        }
        return found
    }

    /// Gives back leases the worker holds but will not run (it is stopping): the windows, groups or segments
    /// go back to pending at once and the attempts end `cancelled`, not counted.
    /// - Returns: how many leases were released.
    @discardableResult
    public func releaseLeases(_ leaseIDs: [String], workerID: String) throws -> Int {
        guard !leaseIDs.isEmpty else { return 0 }
        return try transaction { _ in
            try releaseLeases(.leases(workerID: workerID, ids: leaseIDs), outcome: .cancelled, error: "given back by the worker")
        }
    }

    /// Renews every lease in `leaseIDs` that the worker still holds, in windows, groups and segments alike,
    /// until `now + ttl`, and marks the worker seen.
    /// - Returns: the lease ids that were renewed; the others are no longer the worker's.
    public func renewLeases(_ leaseIDs: [String], workerID: String, ttl: Duration, now: Date? = nil) throws -> Set<String> {
        guard !leaseIDs.isEmpty else { return [] }
        let result = try connection.query(
            """
            WITH w AS (
                UPDATE windows SET lease_expires_at = \(SQLTime.clock(3)) + \(SQLTime.interval(4))
                WHERE lease_id = ANY ($1::text[]) AND lease_owner = $2 AND state = 'leased' RETURNING lease_id),
            g AS (
                UPDATE groups SET lease_expires_at = \(SQLTime.clock(3)) + \(SQLTime.interval(4))
                WHERE lease_id = ANY ($1::text[]) AND lease_owner = $2 AND state = 'leased' RETURNING lease_id),
            s AS (
                UPDATE segments SET lease_expires_at = \(SQLTime.clock(3)) + \(SQLTime.interval(4))
                WHERE lease_id = ANY ($1::text[]) AND lease_owner = $2 AND state = 'leased' RETURNING lease_id)
            SELECT lease_id FROM w UNION ALL SELECT lease_id FROM g UNION ALL SELECT lease_id FROM s
            """, [.textArray(leaseIDs), .text(workerID), SQLTime.param(now), .double(ttl.seconds)])
        return Set(try result.rows.map { try $0.string("lease_id") })
    }
}
