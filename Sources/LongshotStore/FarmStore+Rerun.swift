extension FarmStore {
    /// Runs windows of a job again: the selected windows go back to pending with no attempts, no backoff
    /// and no result (leases on them are cancelled); the other windows keep their results. The job returns
    /// to `queued` with its error and output cleared, and the workers blocked for it are unblocked. A
    /// succeeded job with nothing selected (no failed window or segment, for `--failed`) is left as it is.
    /// - Returns: how many windows were reset.
    /// - Throws: ``FarmStoreError/unknownJob(_:)``, ``PostgresError``.
    @discardableResult
    public func rerun(jobID: String, windows selection: RerunSelection) throws -> Int {
        try transaction { db in
            let windows = try db.query(
                "SELECT index, state FROM windows WHERE job_id = $1 ORDER BY index FOR UPDATE", [.text(jobID)])
            var indices: [Int] = []
            for row in windows.rows {
                let index = try row.int(0)
                switch selection {
                case .all: indices.append(index)
                case .failedOnly: if try row.string(1) == WindowState.failed.rawValue { indices.append(index) }
                case .windows(let chosen): if chosen.contains(index) { indices.append(index) }
                }
            }
            guard let job = try db.query("SELECT state FROM jobs WHERE id = $1", [.text(jobID)]).first else {
                throw FarmStoreError.unknownJob(jobID)
            }
            let failedSegments = try db.query(
                "SELECT 1 FROM segments WHERE job_id = $1 AND state = 'failed' LIMIT 1", [.text(jobID)]).rowCount > 0
            // Nothing to do: stitching and encoding a finished video again would give the same bytes.
            if indices.isEmpty, !failedSegments, try job.string(0) == JobState.succeeded.rawValue { return 0 }
            // Window results deleted after the video was stored: whatever the selection, every window renders again.
            if !indices.isEmpty, try db.query("SELECT 1 FROM jobs WHERE id = $1 AND results_pruned", [.text(jobID)]).rowCount == 1 {
                indices = try windows.rows.map { try $0.int(0) }
                try releaseLeases(.job(jobID), outcome: .cancelled, error: "rerun")
                try db.query("DELETE FROM groups WHERE job_id = $1", [.text(jobID)])
            }
            let grouped = try db.query("SELECT 1 FROM groups WHERE job_id = $1 LIMIT 1", [.text(jobID)]).rowCount > 0
            if grouped {
                // Codenoise windows depend on each other at every step: a rerun recomputes every group, from
                // the newest checkpoint they all share (--failed) or from the start.
                // A job whose windows are done but whose decode failed only encodes again.
                guard !indices.isEmpty || failedSegments else { return 0 }
                if !indices.isEmpty {
                    if case .failedOnly = selection {
                        try rollBackGroups(jobID: jobID, reason: "rerun of the failed windows")
                    } else {
                        try releaseLeases(.job(jobID), outcome: .cancelled, error: "rerun")
                        try db.query("DELETE FROM groups WHERE job_id = $1", [.text(jobID)])
                    }
                    indices = try windows.rows.map { try $0.int(0) }
                }
            }
            try releaseLeases(.windows(jobID: jobID, indices: indices), outcome: .cancelled, error: "rerun")
            // Decode segments are made again from the windows at the next finish.
            try releaseSegmentLeases(.job(jobID), outcome: .cancelled, error: "rerun")
            try db.query("DELETE FROM segments WHERE job_id = $1", [.text(jobID)])
            try db.query(
                """
                UPDATE windows SET state = 'pending', attempts = 0, not_before = now(), result = NULL,
                    result_digest = NULL, duration_ms = NULL, updated_at = now()
                WHERE job_id = $1 AND index = ANY ($2::int[])
                """, [.text(jobID), .intArray(indices)])
            try db.query(
                """
                UPDATE jobs SET state = 'queued', error = NULL, output_path = NULL, output_bytes = NULL,
                    output_sha256 = NULL, results_pruned = false, updated_at = now() WHERE id = $1
                """, [.text(jobID)])
            try db.query("DELETE FROM job_videos WHERE job_id = $1", [.text(jobID)])
            try db.query("DELETE FROM worker_blocks WHERE job_id = $1", [.text(jobID)])
            try appendEvent(jobID: jobID, kind: "job.rerun", message: "rerun of \(indices.count) windows: \(indices)")
            return indices.count
        }
    }

    /// Windows of a job that are not done: what a queued job still renders.
    public func windowsToRender(jobID: String) throws -> Int {
        try connection.query("SELECT count(*) FROM windows WHERE job_id = $1 AND state <> 'done'", [.text(jobID)]).first?.int(0) ?? 0
    }
}
