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
