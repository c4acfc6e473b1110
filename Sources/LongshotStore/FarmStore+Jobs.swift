import Foundation

extension FarmStore {
    /// Stores a new job and its planned windows (state `queued`, windows `pending`) in one transaction.
    /// - Parameters:
    ///   - id: the job id (see ``FarmStore/newJobID()``).
    ///   - spec: the job parameters as JSON text.
    ///   - priority: higher runs first; equal priorities run oldest first.
    ///   - windows: the window plan; `frames` becomes the end of the last window.
    ///   - maxAttempts: leases a window may get before it fails.
    ///   - owner: the credential name that submitted it.
    /// - Returns: the stored job.
    /// - Throws: ``PostgresError`` (unique violation for a duplicate id, invalid JSON, …).
    @discardableResult
    public func insertJob(
        id: String, spec: String, priority: Int = 0, windows: [WindowSpan], maxAttempts: Int = 3, owner: String? = nil,
        notifyURL: String? = nil
    )
        throws -> JobRecord
    {
        let frames = windows.map { $0.firstFrame + $0.frameCount }.max() ?? 0
        return try transaction { db in
            let job = try db.query(
                """
                INSERT INTO jobs (id, spec, priority, window_count, frames, owner, notify_url)
                VALUES ($1, $2::jsonb, $3::int, $4::int, $5::int, $6, $7)
                RETURNING \(JobRecord.columns)
                """, [.text(id), .text(spec), .int(priority), .int(windows.count), .int(frames), .optional(owner), .optional(notifyURL)])
            try db.query(
                """
                INSERT INTO windows (job_id, index, first_frame, frame_count, max_attempts)
                SELECT $1, i, f, c, $5::int FROM unnest($2::int[], $3::int[], $4::int[]) AS w (i, f, c)
                """,
                [
                    .text(id), .intArray(windows.map(\.index)), .intArray(windows.map(\.firstFrame)),
                    .intArray(windows.map(\.frameCount)), .int(maxAttempts),
                ])
            try appendEvent(jobID: id, kind: "job.submitted", message: "job submitted: \(windows.count) windows, \(frames) frames")
            return try JobRecord(row: job.first!)
        }
    }

    /// The job with this id, or nil.
    public func job(_ id: String) throws -> JobRecord? {
        try connection.query("SELECT \(JobRecord.columns) FROM jobs WHERE id = $1", [.text(id)]).first.map(JobRecord.init)
    }

    /// Jobs, newest first, optionally only those in `states`.
    public func listJobs(states: [JobState]? = nil, limit: Int = 100) throws -> [JobRecord] {
        let result = try connection.query(
            """
            SELECT \(JobRecord.columns) FROM jobs WHERE $1::text[] IS NULL OR state = ANY ($1::text[])
            ORDER BY created_at DESC, id LIMIT $2::int
            """, [states.map { .textArray($0.map(\.rawValue)) } ?? .null, .int(limit)])
        return try result.rows.map(JobRecord.init)
    }

    /// Applies `event` to the job when its state allows (``JobState/on(_:)``), recording the change in its
    /// events; `error` is kept as the job's error. Returns false when the job is in no state the event moves.
    /// Only for events that move every source state to the same state (failed, windowsDone, stitched).
    public func apply(_ event: JobEvent, toJob id: String, error: String? = nil) throws -> Bool {
        let targets = Set(JobState.allCases.compactMap { state -> JobState? in
            if case .move(let to) = state.on(event) { to } else { nil }
        })
        precondition(targets.count == 1, "\(event) moves jobs to \(targets), not one state")
        let state = targets.first!
        return try transaction { db in
            let result = try db.query(
                """
                UPDATE jobs SET state = $2, error = $3, updated_at = now()
                WHERE id = $1 AND state IN \(JobState.sqlList(event))
                """, [.text(id), .text(state.rawValue), .optional(error)])
            guard result.affectedRows == 1 else { return false }
            try appendEvent(jobID: id, kind: "job.\(state.rawValue)", message: error.map { "job \(state.rawValue): \($0)" } ?? "job \(state.rawValue)")
            return true
        }
    }

    /// Records the encoded output of a job and marks it `succeeded`, unless it ended meanwhile (cancelled,
    /// failed, or succeeded already): then it returns false.
    @discardableResult
    public func setJobOutput(_ id: String, path: String, video: [UInt8], sha256: String, pruneResults: Bool) throws -> Bool {
        try transaction { db in
            let result = try db.query(
                """
                UPDATE jobs SET state = 'succeeded', error = NULL, output_path = $2, output_bytes = $3::bigint,
                    output_sha256 = $4, results_pruned = $5::boolean, updated_at = now()
                WHERE id = $1 AND state IN \(JobState.sqlList(.encoded))
                """, [.text(id), .text(path), .int64(Int64(video.count)), .text(sha256), .text(pruneResults ? "true" : "false")])
            guard result.affectedRows == 1 else { return false }
            try db.query("DELETE FROM job_videos WHERE job_id = $1", [.text(id)])
            for (chunk, start) in stride(from: 0, to: max(video.count, 1), by: Self.videoChunkBytes).enumerated() {
                let piece = Array(video[start..<min(start + Self.videoChunkBytes, video.count)])
                try db.query(
                    "INSERT INTO job_videos (job_id, chunk, data) VALUES ($1, $2::int, $3)", [.text(id), .int(chunk), .bytes(piece)])
            }
            // The decode segments (fused latents and encoded pieces) live on in the video; a rerun makes
            // them again from the windows.
            try db.query("DELETE FROM segments WHERE job_id = $1", [.text(id)])
            if pruneResults {
                try db.query("UPDATE windows SET result = NULL WHERE job_id = $1", [.text(id)])
                try db.query("DELETE FROM group_checkpoints WHERE job_id = $1", [.text(id)])
            }
            try appendEvent(jobID: id, kind: "job.succeeded", message: "output \(path) (\(video.count) bytes)")
            return true
        }
    }

    /// The size of the chunks a finished video is stored in.
    public static let videoChunkBytes = 4 << 20

    /// Up to `count` bytes of a finished job's stored video from `offset` (empty past the end).
    public func storedVideo(jobID: String, offset: Int, count: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var position = offset
        while bytes.count < count {
            let chunk = position / Self.videoChunkBytes
            let within = position % Self.videoChunkBytes
            let rows = try connection.query(
                "SELECT substring(data FROM $3::int FOR $4::int) FROM job_videos WHERE job_id = $1 AND chunk = $2::int",
                [.text(jobID), .int(chunk), .int(within + 1), .int(count - bytes.count)], format: .binary)
            guard let piece = try rows.first?.bytes(0), !piece.isEmpty else { break }
            bytes += piece
            position += piece.count
        }
        return bytes
    }

    /// Cancels a job that has not finished: the job becomes `cancelled`, leases on its windows are
    /// released (their attempts end `cancelled`, late results are discarded); pending windows stay
    /// pending, so a later ``rerun(jobID:windows:)`` resumes where it stopped.
    /// - Returns: false when the job does not exist or already succeeded, failed or was cancelled.
    @discardableResult
    public func cancel(jobID: String) throws -> Bool {
        try transaction { db in
            // Lock the job's windows before the job row (the store's lock order), so no grant slips in.
            try db.query("SELECT 1 FROM windows WHERE job_id = $1 ORDER BY index FOR UPDATE", [.text(jobID)])
            let job = try db.query(
                "UPDATE jobs SET state = 'cancelled', updated_at = now() WHERE id = $1 AND state IN \(JobState.sqlList(.cancelled))",
                [.text(jobID)])
            guard job.affectedRows == 1 else { return false }
            let released = try releaseLeases(.job(jobID), outcome: .cancelled, error: "job cancelled")
            try appendEvent(jobID: jobID, kind: "job.cancelled", message: "job cancelled (\(released) leases released)")
            return true
        }
    }

    /// Deletes a job that has ended (succeeded, failed or cancelled) and, by cascade, its windows,
    /// attempts, groups, segments, events and stored video. False when no ended job has that id.
    public func deleteEndedJob(_ id: String) throws -> Bool {
        try connection.query(
            "DELETE FROM jobs WHERE id = $1 AND state IN ('succeeded', 'failed', 'cancelled')", [.text(id)]
        ).affectedRows == 1
    }

    /// The ids of ended jobs last changed more than `age` ago, oldest first, at most `limit` of them.
    public func endedJobs(olderThan age: Duration, limit: Int) throws -> [String] {
        try connection.query(
            """
            SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND updated_at < now() - \(SQLTime.interval(1))
            ORDER BY updated_at LIMIT $2
            """, [.double(age.seconds), .int(limit)]
        ).rows.map { try $0.string(0) }
    }

    /// The job's windows in index order (without result bytes).
    public func windows(jobID: String) throws -> [WindowRecord] {
        try connection.query("SELECT \(WindowRecord.columns) FROM windows WHERE job_id = $1 ORDER BY index", [.text(jobID)])
            .rows.map(WindowRecord.init)
    }

    /// The job's lease history, oldest first.
    public func attempts(jobID: String) throws -> [AttemptRecord] {
        try connection.query("SELECT \(AttemptRecord.columns) FROM attempts WHERE job_id = $1 ORDER BY id", [.text(jobID)])
            .rows.map(AttemptRecord.init)
    }

    /// True when the job has windows and every one is done.
    public func allWindowsDone(jobID: String) throws -> Bool {
        let row = try connection.query(
            "SELECT count(*) > 0 AND bool_and(state = 'done') FROM windows WHERE job_id = $1", [.text(jobID)]).first
        return try row?.optionalBool(0) ?? false
    }

    /// How many of the job's windows are in each state.
    public func windowCounts(jobID: String) throws -> [WindowState: Int] {
        let result = try connection.query("SELECT state, count(*) FROM windows WHERE job_id = $1 GROUP BY state", [.text(jobID)])
        var counts: [WindowState: Int] = [:]
        for row in result.rows { counts[try row.enumValue("state")] = try row.int(1) }
        return counts
    }

    /// The stored latents of the job's done windows, in index order (fetched in binary format).
    public func windowResults(jobID: String) throws -> [WindowResult] {
        let result = try connection.query(
            "SELECT index::int8, result, result_digest FROM windows WHERE job_id = $1 AND state = 'done' ORDER BY index",
            [.text(jobID)], format: .binary)
        return try result.rows.map {
            WindowResult(index: try $0.int(0), bytes: try $0.optionalBytes(1) ?? [], digest: try $0.optionalString(2))
        }
    }
}
