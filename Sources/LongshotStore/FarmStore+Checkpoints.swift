extension FarmStore {
    /// Stores (or replaces) a job's checkpoint after `step` (co-denoising state).
    public func saveCheckpoint(jobID: String, step: Int, data: [UInt8]) throws {
        try connection.query(
            """
            INSERT INTO checkpoints (job_id, step, data) VALUES ($1, $2::int, $3)
            ON CONFLICT (job_id, step) DO UPDATE SET data = excluded.data, created_at = now()
            """, [.text(jobID), .int(step), .bytes(data)])
    }

    /// The job's latest checkpoint, or nil.
    public func latestCheckpoint(jobID: String) throws -> (step: Int, data: [UInt8])? {
        let result = try connection.query(
            "SELECT step::int8, data FROM checkpoints WHERE job_id = $1 ORDER BY step DESC LIMIT 1", [.text(jobID)],
            format: .binary)
        guard let row = result.first else { return nil }
        return (try row.int(0), try row.bytes(1))
    }

    /// Deletes the job's checkpoints older than `step`.
    public func pruneCheckpoints(jobID: String, before step: Int) throws {
        try connection.query("DELETE FROM checkpoints WHERE job_id = $1 AND step < $2::int", [.text(jobID), .int(step)])
    }
}
