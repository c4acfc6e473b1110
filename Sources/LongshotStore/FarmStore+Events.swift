extension FarmStore {
    /// Appends a line to the farm's event log (a job's log when `jobID` is given).
    public func appendEvent(jobID: String? = nil, windowIndex: Int? = nil, kind: String, message: String) throws {
        try connection.query(
            "INSERT INTO events (job_id, window_index, kind, message) VALUES ($1, $2::int, $3, $4)",
            [.optional(jobID), .optional(windowIndex), .text(kind), .text(message)])
    }

    /// Events in the order they happened: the last `limit` ones, or those after event id `after`
    /// (for following a log), optionally only one job's.
    public func recentEvents(jobID: String? = nil, after: Int64? = nil, limit: Int = 100) throws -> [EventRecord] {
        let result = try connection.query(
            """
            SELECT * FROM (
                SELECT \(EventRecord.columns) FROM events
                WHERE ($1::text IS NULL OR job_id = $1) AND ($2::bigint IS NULL OR id > $2::bigint)
                ORDER BY CASE WHEN $2::bigint IS NULL THEN -id ELSE id END LIMIT $3::int) AS recent
            ORDER BY id
            """, [.optional(jobID), after.map { .int64($0) } ?? .null, .int(limit)])
        return try result.rows.map(EventRecord.init)
    }
}
