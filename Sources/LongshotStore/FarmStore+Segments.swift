import Foundation

/// A decode segment to store: its video frames and the fused latents its decoder reads.
public struct SegmentPlanRow: Sendable, Hashable {
    public var index: Int
    public var firstFrame: Int
    public var frameCount: Int
    public var latentFirst: Int
    public var latentCount: Int
    public var latents: [UInt8]

    public init(index: Int, firstFrame: Int, frameCount: Int, latentFirst: Int, latentCount: Int, latents: [UInt8]) {
        self.index = index
        self.firstFrame = firstFrame
        self.frameCount = frameCount
        self.latentFirst = latentFirst
        self.latentCount = latentCount
        self.latents = latents
    }
}

/// A granted decode segment: what a worker needs to decode and encode it.
public struct SegmentLease: Sendable, Hashable {
    public var leaseID: String
    public var jobID: String
    public var index: Int
    public var firstFrame: Int
    public var frameCount: Int
    public var latentFirst: Int
    public var latentCount: Int
    public var latents: [UInt8]
    public var spec: String
    public var expiresAt: Date
    public var attempt: Int
}

/// A segment's encoded video, for assembly.
public struct SegmentVideo: Sendable, Hashable {
    public var index: Int
    public var bytes: [UInt8]
    public var model: String
}

extension FarmStore {
    /// Whether the job's decode segments are stored (its stitch is done).
    public func hasSegments(jobID: String) throws -> Bool {
        try connection.query("SELECT 1 FROM segments WHERE job_id = $1 LIMIT 1", [.text(jobID)]).rowCount > 0
    }

    /// Stores the job's decode segments (replacing any), pending, each allowed `maxAttempts` attempts.
    public func planSegments(jobID: String, _ rows: [SegmentPlanRow], maxAttempts: Int) throws {
        try transaction { db in
            try releaseSegmentLeases(.job(jobID), outcome: .cancelled, error: "segments planned again")
            try db.query("DELETE FROM segments WHERE job_id = $1", [.text(jobID)])
            for row in rows {
                try db.query(
                    """
                    INSERT INTO segments (job_id, index, first_frame, frame_count, latent_first, latent_count, latents, max_attempts)
                    VALUES ($1, $2::int, $3::int, $4::int, $5::int, $6::int, $7, $8::int)
                    """,
                    [
                        .text(jobID), .int(row.index), .int(row.firstFrame), .int(row.frameCount), .int(row.latentFirst),
                        .int(row.latentCount), .bytes(row.latents), .int(maxAttempts),
                    ])
            }
            try appendEvent(jobID: jobID, kind: "job.segments", message: "\(rows.count) decode segments to encode")
        }
    }

    /// Grants the worker the next pending decode segment of a job in `encoding` whose engine it offers
    /// (and for which it is not blocked), the oldest job first; nil when there is none.
    public func acquireSegmentLease(workerID: String, ttl: Duration, now: Date? = nil) throws -> SegmentLease? {
        try transaction { db in
            let candidate = try db.query(
                """
                SELECT s.job_id, s.index FROM segments s JOIN jobs j ON j.id = s.job_id
                WHERE s.state IN \(WindowState.sqlList(.granted)) AND s.not_before <= \(SQLTime.clock(2)) AND j.state = 'encoding'
                    AND coalesce(j.spec->>'engine', '') = ANY (string_to_array((SELECT engine FROM workers WHERE id = $1 AND NOT drain), ','))
                    AND NOT EXISTS (SELECT 1 FROM worker_blocks b WHERE b.job_id = s.job_id AND b.worker_id = $1 AND b.blocked)
                ORDER BY j.priority DESC, j.created_at, j.id, s.index
                LIMIT 1
                FOR UPDATE OF s SKIP LOCKED
                """, [.text(workerID), SQLTime.param(now)])
            guard let row = candidate.first else { return nil }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let leaseID = Self.newID(prefix: "s")
            let leased = try db.query(
                """
                UPDATE segments s SET state = '\(WindowState.pending.on(.granted)!.rawValue)', lease_id = $3, lease_owner = $4,
                    lease_expires_at = \(SQLTime.clock(5)) + \(SQLTime.interval(6)), attempts = attempts + 1, updated_at = now()
                FROM jobs j WHERE s.job_id = $1 AND s.index = $2::int AND j.id = s.job_id
                RETURNING s.first_frame, s.frame_count, s.latent_first, s.latent_count, s.latents, s.attempts, j.spec::text AS spec,
                    extract(epoch FROM s.lease_expires_at)::float8 AS expires
                """,
                [.text(jobID), .int(index), .text(leaseID), .text(workerID), SQLTime.param(now), .double(ttl.seconds)],
                format: .binary)
            try db.query(
                "INSERT INTO attempts (job_id, segment_index, lease_id, worker_id) VALUES ($1, $2::int, $3, $4)",
                [.text(jobID), .int(index), .text(leaseID), .text(workerID)])
            try db.query("UPDATE workers SET state = 'busy', last_seen_at = now() WHERE id = $1", [.text(workerID)])
            let r = leased.first!
            let attempt = try r.int("attempts")
            try appendEvent(jobID: jobID, kind: "lease.granted", message: "segment \(index) leased to \(workerID) (attempt \(attempt))")
            return SegmentLease(
                leaseID: leaseID, jobID: jobID, index: index, firstFrame: try r.int("first_frame"),
                frameCount: try r.int("frame_count"), latentFirst: try r.int("latent_first"),
                latentCount: try r.int("latent_count"), latents: try r.optionalBytes("latents") ?? [],
                spec: try r.string("spec"), expiresAt: try r.date("expires"), attempt: attempt)
        }
    }

    /// The job and index of a current segment lease, and its job's spec; nil when the lease is not current.
    public func segmentForLease(leaseID: String) throws -> (jobID: String, index: Int, frameCount: Int, spec: String)? {
        guard let row = try connection.query(
            """
            SELECT s.job_id, s.index, s.frame_count, j.spec::text AS spec FROM segments s JOIN jobs j ON j.id = s.job_id
            WHERE s.lease_id = $1 AND s.state = 'leased'
            """, [.text(leaseID)]).first
        else { return nil }
        return (try row.string("job_id"), try row.int("index"), try row.int("frame_count"), try row.string("spec"))
    }

    /// Stores a segment's encoded video if the lease is still current.
    /// - Returns: the job id when committed, nil when the lease was not current.
    public func completeSegment(leaseID: String, video: [UInt8], digest: String, model: String) throws -> String? {
        try transaction { db in
            guard let row = try db.query(
                """
                UPDATE segments SET state = 'done', video = $2, video_digest = $3, model = $4, error = NULL,
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased' RETURNING job_id, index
                """, [.text(leaseID), .bytes(video), .text(digest), .text(model)]).first
            else { return nil }
            let worker = try db.query(
                "UPDATE attempts SET outcome = 'done', ended_at = now() WHERE lease_id = $1 RETURNING worker_id", [.text(leaseID)]
            ).first!.string("worker_id")
            try refreshWorkerState(worker)
            let jobID = try row.string("job_id")
            try appendEvent(jobID: jobID, kind: "segment.done", message: "segment \(try row.int("index")) encoded by \(worker) (\(video.count) bytes)")
            return jobID
        }
    }

    /// Records a failed decode of a segment: back to pending after a backoff, or failed with its job once
    /// its attempts are used up (the job's error is the engine's). The worker is not blocked for the job.
    public func failSegmentLease(leaseID: String, error: String, logTail: String? = nil, backoff: Duration) throws -> LeaseFailure {
        try transaction { db in
            guard let row = try db.query(
                """
                UPDATE segments SET
                    state = \(WindowState.sqlAfterLease(.failed)), error = $3,
                    not_before = now() + \(SQLTime.interval(2)) * power(2, greatest(attempts - 1, 0)),
                    lease_id = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE lease_id = $1 AND state = 'leased'
                RETURNING job_id, index, state, attempts, extract(epoch FROM not_before)::float8 AS not_before
                """, [.text(leaseID), .double(backoff.seconds), .text(error)]).first
            else { return LeaseFailure(outcome: .staleLease, workerBlocked: false) }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            let attempts = try row.int("attempts")
            let worker = try db.query(
                "UPDATE attempts SET outcome = 'failed', error = $2, log_tail = $3, ended_at = now() WHERE lease_id = $1 RETURNING worker_id",
                [.text(leaseID), .text(error), .optional(logTail)]
            ).first!.string("worker_id")
            try appendEvent(jobID: jobID, kind: "attempt.failed", message: "segment \(index) attempt \(attempts) failed on \(worker): \(error)")
            let failed = try row.string("state") == WindowState.failed.rawValue
            if failed { try failJob(jobID, error: "decode segment \(index) failed after \(attempts) attempts: \(error)") }
            // Not counted against the worker: a decode that fails is the engine's or the job's fault more often
            // than the machine's, and blocking the only workers would leave the job waiting for ever; the
            // segment's attempts are bounded instead.
            try refreshWorkerState(worker)
            if failed { return LeaseFailure(outcome: .windowFailed, workerBlocked: false) }
            return LeaseFailure(outcome: .retrying(notBefore: try row.date("not_before")), workerBlocked: false)
        }
    }

    /// Every segment's encoded video, in order, when all are done; nil otherwise.
    public func segmentVideos(jobID: String) throws -> [SegmentVideo]? {
        let rows = try connection.query(
            "SELECT index::int8, state, video, model FROM segments WHERE job_id = $1 ORDER BY index", [.text(jobID)],
            format: .binary
        ).rows
        guard !rows.isEmpty else { return nil }
        var videos: [SegmentVideo] = []
        for row in rows {
            guard try row.string(1) == WindowState.done.rawValue else { return nil }
            videos.append(SegmentVideo(index: try row.int(0), bytes: try row.optionalBytes(2) ?? [], model: try row.optionalString(3) ?? ""))
        }
        return videos
    }

    /// How many of the job's segments are in each state.
    public func segmentCounts(jobID: String) throws -> [WindowState: Int] {
        let result = try connection.query("SELECT state, count(*) FROM segments WHERE job_id = $1 GROUP BY state", [.text(jobID)])
        var counts: [WindowState: Int] = [:]
        for row in result.rows { counts[try row.enumValue("state")] = try row.int(1) }
        return counts
    }

    /// Takes segment leases back inside the caller's transaction (see ``releaseLeases(_:outcome:error:)``).
    @discardableResult
    func releaseSegmentLeases(_ filter: LeaseFilter, outcome: AttemptOutcome, error: String) throws -> Int {
        if case .windows = filter { return 0 }
        let released = try takeBack(table: "segments", filter, outcome: outcome, error: error)
        var owners = Set<String>()
        for row in released.rows {
            if let owner = try row.optionalString("lease_owner") { owners.insert(owner) }
            guard outcome == .expired else { continue }
            let jobID = try row.string("job_id")
            let index = try row.int("index")
            if try row.string("state") == WindowState.failed.rawValue {
                try failJob(jobID, error: "decode segment \(index) failed after \(try row.int("attempts")) attempts: \(error)")
            } else {
                try appendEvent(jobID: jobID, kind: "lease.expired", message: "segment \(index) lease expired (\(error)); pending again")
            }
        }
        for owner in owners { try refreshWorkerState(owner) }
        return released.rowCount
    }
}
