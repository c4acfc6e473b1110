import Foundation

extension FarmStore {
    /// Registers a worker, or updates the worker already registered under the same name (keeping its id
    /// and drain flag). Leases held under that id by an earlier process are taken back first (outcome
    /// `expired`), since a restarted worker has lost them.
    /// - Returns: the worker's id (`w-…`).
    public func registerWorker(_ info: WorkerInfo) throws -> String {
        try transaction { db in
            let existing = try db.query("SELECT id FROM workers WHERE name = $1", [.text(info.name)]).first
            if let id = try existing?.string("id") {
                try releaseLeases(.worker(id), outcome: .expired, error: "worker \(info.name) re-registered")
            }
            let row = try db.query(
                """
                INSERT INTO workers AS w (id, name, host, pid, engine, slots, version, offers, session_sha256, credential)
                VALUES ($1, $2, $3, $4::int, $5, $6::int, $7, $8::jsonb, $9, $10)
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, engine = excluded.engine,
                    offers = excluded.offers, session_sha256 = excluded.session_sha256, credential = excluded.credential,
                    slots = excluded.slots, version = excluded.version, last_seen_at = now(),
                    registered_at = now(), state = CASE WHEN w.blocked THEN 'blocked' WHEN w.drain THEN 'draining' ELSE 'idle' END
                RETURNING id
                """,
                [
                    .text(Self.newID(prefix: "w")), .text(info.name), .text(info.host), .int(info.pid), .text(info.engine),
                    .int(info.slots), .text(info.version), .text(info.offers), .optional(info.sessionSHA256),
                    .optional(info.credential),
                ]
            ).first!
            let id = try row.string("id")
            try appendEvent(kind: "worker.registered", message: "worker \(info.name) (\(id)) registered from \(info.host), engine \(info.engine)")
            return id
        }
    }

    /// The worker whose current registration handed out the session with this SHA-256 (hex), if any.
    public func workerID(sessionSHA256: String) throws -> String? {
        try connection.query("SELECT id FROM workers WHERE session_sha256 = $1", [.text(sessionSHA256)]).first?.string("id")
    }

    /// The worker a lease (of a window, group or segment) was granted to, whether or not it is still current.
    public func leaseHolder(leaseID: String) throws -> String? {
        try connection.query("SELECT worker_id FROM attempts WHERE lease_id = $1", [.text(leaseID)]).first?.string("worker_id")
    }

    /// The name of the worker a lease was granted to, if the lease and the worker are known.
    public func leaseHolderName(leaseID: String) throws -> String? {
        try connection.query(
            "SELECT w.name FROM attempts a JOIN workers w ON w.id = a.worker_id WHERE a.lease_id = $1", [.text(leaseID)]
        ).first?.string("name")
    }

    /// The reports of engine `name` by the workers that are not offline, one JSON object each (newest
    /// registration first).
    public func liveOffers(engine name: String) throws -> [String] {
        try connection.query(
            """
            SELECT o::text FROM workers w, jsonb_array_elements(w.offers) o
            WHERE w.state <> 'offline' AND o->>'name' = $1 ORDER BY w.registered_at DESC
            """, [.text(name)]
        ).rows.map { try $0.string(0) }
    }

    /// The names of the engines offered by workers that are not offline.
    public func liveEngineNames() throws -> [String] {
        try connection.query(
            """
            SELECT DISTINCT o->>'name' FROM workers w, jsonb_array_elements(w.offers) o
            WHERE w.state <> 'offline' ORDER BY 1
            """).rows.map { try $0.string(0) }
    }

    /// Notes that the worker is alive (an offline worker comes back idle or busy).
    /// - Returns: false when the id is unknown (the worker should register again).
    @discardableResult
    public func heartbeat(workerID: String) throws -> Bool {
        try heartbeat(workerID: workerID, leases: [], ttl: .zero) != nil
    }

    /// A heartbeat that also renews the leases the worker holds (see ``renewLeases(_:workerID:ttl:now:)``).
    /// - Returns: nil when the id is unknown (the worker should register again); else the leases renewed
    ///   and whether the worker is drained.
    public func heartbeat(workerID: String, leases: [String], ttl: Duration) throws -> (renewed: Set<String>, drain: Bool)? {
        try transaction { db in
            let result = try db.query(
                """
                UPDATE workers SET last_seen_at = now(), state = CASE WHEN state = 'offline' THEN 'idle' ELSE state END
                WHERE id = $1 RETURNING drain
                """, [.text(workerID)])
            guard let row = result.first else { return nil }
            let renewed = try renewLeases(leases, workerID: workerID, ttl: ttl)
            try refreshWorkerState(workerID)
            return (renewed, try row.bool("drain"))
        }
    }

    /// Sets or clears a worker's drain flag: a draining worker keeps its leases but gets no new ones.
    /// - Returns: false when the id is unknown.
    @discardableResult
    public func setWorkerDrain(workerID: String, _ drain: Bool) throws -> Bool {
        try transaction { db in
            // Undraining also unblocks.
            let result = try db.query(
                "UPDATE workers SET drain = $2::bool, blocked = blocked AND $2::bool WHERE id = $1", [.text(workerID), .bool(drain)])
            guard result.affectedRows == 1 else { return false }
            try refreshWorkerState(workerID)
            return true
        }
    }

    /// Blocks (or unblocks) a worker for one job by hand; unblocking also forgets its failures there.
    public func setWorkerBlocked(workerID: String, jobID: String, _ blocked: Bool) throws {
        try connection.query(
            """
            INSERT INTO worker_blocks AS b (job_id, worker_id, failures, blocked) VALUES ($1, $2, 0, $3::bool)
            ON CONFLICT (job_id, worker_id) DO UPDATE
                SET blocked = $3::bool, failures = CASE WHEN $3::bool THEN b.failures ELSE 0 END, updated_at = now()
            """, [.text(jobID), .text(workerID), .bool(blocked)])
    }

    /// The ids of the workers blocked for a job.
    public func blockedWorkers(jobID: String) throws -> [String] {
        try connection.query("SELECT worker_id FROM worker_blocks WHERE job_id = $1 AND blocked ORDER BY worker_id", [.text(jobID)])
            .rows.map { try $0.string(0) }
    }

    /// Every worker, by name, with the windows it holds leases on.
    public func listWorkers() throws -> [WorkerRecord] {
        var workers = try connection.query("SELECT \(WorkerRecord.columns) FROM workers ORDER BY name").rows.map(WorkerRecord.init)
        let leases = try connection.query(
            "SELECT lease_owner, job_id, index FROM windows WHERE state = 'leased' ORDER BY job_id, index")
        var held: [String: [WindowRef]] = [:]
        for row in leases.rows {
            held[try row.string(0), default: []].append(WindowRef(jobID: try row.string(1), index: try row.int(2)))
        }
        for i in workers.indices { workers[i].currentWindows = held[workers[i].id] ?? [] }
        return workers
    }

    /// Marks workers not seen for `silentFor` as offline and takes back their leases (outcome `expired`).
    /// - Returns: the workers that went offline by this call.
    public func markWorkersOffline(silentFor: Duration, now: Date? = nil) throws -> [WorkerRecord] {
        try transaction { db in
            let silent = try db.query(
                """
                SELECT id FROM workers WHERE state <> 'offline' AND last_seen_at < \(SQLTime.clock(1)) - \(SQLTime.interval(2))
                ORDER BY id
                """, [SQLTime.param(now), .double(silentFor.seconds)])
            let ids = try silent.rows.map { try $0.string(0) }
            for id in ids { try releaseLeases(.worker(id), outcome: .expired, error: "worker \(id) went offline") }
            let offline = try db.query(
                """
                UPDATE workers SET state = 'offline' WHERE id = ANY ($1::text[]) AND state <> 'offline'
                    AND last_seen_at < \(SQLTime.clock(2)) - \(SQLTime.interval(3))
                RETURNING \(WorkerRecord.columns)
                """, [.textArray(ids), SQLTime.param(now), .double(silentFor.seconds)])
            let workers = try offline.rows.map(WorkerRecord.init).sorted { $0.name < $1.name }
            for worker in workers {
                try appendEvent(kind: "worker.offline", message: "worker \(worker.name) (\(worker.id)) went offline")
            }
            return workers
        }
    }
}
