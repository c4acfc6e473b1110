import Foundation

/// A webhook call to make (or made): one job's end state to one URL.
public struct NotificationRecord: Sendable, Hashable {
    public var id: Int64
    public var jobID: String
    public var url: String
    public var payload: String
    public var attempts: Int
    public var deliveredAt: Date?
    public var gaveUp: Bool
    public var lastError: String?

    static let columns = """
        id, job_id, url, payload, attempts, extract(epoch FROM delivered_at)::float8 AS delivered_at, gave_up, last_error
        """

    init(row: PostgresRow) throws {
        id = try row.int64("id")
        jobID = try row.string("job_id")
        url = try row.string("url")
        payload = try row.string("payload")
        attempts = try row.int("attempts")
        deliveredAt = try row.optionalDouble("delivered_at").map { Date(timeIntervalSince1970: $0) }
        gaveUp = try row.string("gave_up") == "t"
        lastError = try row.optionalString("last_error")
    }
}

extension FarmStore {
    /// Turns up to `limit` job endings (recorded by the `jobs_ended` trigger) into calls, in one
    /// transaction: to each of `clusterURLs` and to the job's own webhook, with the body `payload` makes.
    /// - Returns: the number of endings taken.
    @discardableResult
    public func expandJobEndings(
        clusterURLs: [String], limit: Int = 100, payload: (JobRecord, _ endedAt: Date) -> String
    ) throws -> Int {
        try transaction { db in
            let endings = try db.query(
                """
                DELETE FROM job_endings WHERE id IN (
                    SELECT id FROM job_endings ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED)
                RETURNING id, job_id, extract(epoch FROM ended_at)::float8 AS ended_at
                """, [.int(limit)])
            for ending in try endings.rows.sorted(by: { try $0.int64("id") < $1.int64("id") }) {
                let id = try ending.string("job_id")
                let rows = try db.query("SELECT \(JobRecord.columns), notify_url FROM jobs WHERE id = $1", [.text(id)])
                guard let row = rows.first else { continue }
                let urls = clusterURLs + [try row.optionalString("notify_url")].compactMap { $0 }
                guard !urls.isEmpty else { continue }
                let body = payload(try JobRecord(row: row), Date(timeIntervalSince1970: try ending.double("ended_at")))
                try db.query(
                    "INSERT INTO notifications (job_id, url, payload) SELECT $1, u, $3 FROM unnest($2::text[]) AS u",
                    [.text(id), .textArray(urls), .text(body)])
            }
            return endings.rowCount
        }
    }

    /// Calls due now, oldest first, each postponed by `lease` so that a slow call is not made twice at once.
    public func takeDueNotifications(limit: Int, lease: Duration) throws -> [NotificationRecord] {
        try connection.query(
            """
            UPDATE notifications SET next_at = now() + make_interval(secs => $2::float8)
            WHERE id IN (
                SELECT id FROM notifications WHERE delivered_at IS NULL AND NOT gave_up AND next_at <= now()
                ORDER BY next_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED)
            RETURNING \(NotificationRecord.columns)
            """, [.int(limit), .double(Double(lease.components.seconds))]
        ).rows.map(NotificationRecord.init).sorted { $0.id < $1.id }
    }

    public func notificationDelivered(id: Int64) throws {
        try connection.query(
            "UPDATE notifications SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1::bigint",
            [.int64(id)])
    }

    /// Records a failed call: tried again after `retryAfter`, or never again when `giveUp`.
    public func notificationFailed(id: Int64, error: String, retryAfter: Duration, giveUp: Bool) throws {
        try connection.query(
            """
            UPDATE notifications SET attempts = attempts + 1, last_error = $2, gave_up = $4::boolean,
                next_at = now() + make_interval(secs => $3::float8)
            WHERE id = $1::bigint
            """, [.int64(id), .text(error), .double(Double(retryAfter.components.seconds)), .bool(giveUp)])
    }

    /// A job's notifications, oldest first.
    public func notifications(jobID: String) throws -> [NotificationRecord] {
        try connection.query("SELECT \(NotificationRecord.columns) FROM notifications WHERE job_id = $1 ORDER BY id", [.text(jobID)])
            .rows.map(NotificationRecord.init)
    }
}
