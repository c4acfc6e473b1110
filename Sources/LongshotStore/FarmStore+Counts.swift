extension FarmStore {
    /// How many jobs are in each state.
    public func jobStateCounts() throws -> [JobState: Int] {
        try counts("SELECT state, count(*)::int FROM jobs GROUP BY state")
    }

    /// How many windows (of all jobs) are in each state.
    public func windowStateCounts() throws -> [WindowState: Int] {
        try counts("SELECT state, count(*)::int FROM windows GROUP BY state")
    }

    private func counts<T: RawRepresentable & Hashable>(_ sql: String) throws -> [T: Int] where T.RawValue == String {
        var out: [T: Int] = [:]
        for row in try connection.query(sql).rows {
            if let state = T(rawValue: try row.string(0)) { out[state] = try row.int(1) }
        }
        return out
    }
}

extension FarmStore {
    /// Jobs that are not finished yet but whose windows are all done: ready to stitch and encode (including
    /// jobs a previous coordinator left mid-stitch or mid-encode).
    public func jobsReadyToFinish(limit: Int = 100) throws -> [String] {
        try connection.query(
            """
            SELECT j.id FROM jobs j
            WHERE j.state IN ('queued', 'running', 'stitching', 'encoding')
                AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.job_id = j.id AND w.state <> 'done')
            ORDER BY j.created_at LIMIT $1::int
            """, [.int(limit)]
        ).rows.map { try $0.string(0) }
    }
}
