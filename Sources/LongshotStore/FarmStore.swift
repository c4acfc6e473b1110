import Foundation

/// The farm's state in PostgreSQL: jobs, windows, leases, workers and events.
///
/// Each method that changes state runs as one transaction. A store owns one ``PostgresConnection`` and,
/// like it, is not thread-safe: use it from one thread or actor (``FarmDatabase`` wraps one for async code).
/// Times are taken from the database clock unless a method is given an explicit `now` (for tests and sweeps).
public final class FarmStore {
    /// The connection every method uses.
    public let connection: PostgresConnection
    /// Failures of one worker on one job after which that worker is blocked for the job.
    public var blockAfterFailures: Int

    /// Wraps a connection. Call ``migrate()`` once before use on a fresh database.
    public init(connection: PostgresConnection, blockAfterFailures: Int = 3) {
        self.connection = connection
        self.blockAfterFailures = blockAfterFailures
    }

    /// Connects (waiting up to `retryFor` for the server), then applies any pending migrations.
    /// - Throws: ``PostgresError`` when the server is unreachable or a migration fails.
    public convenience init(url: String, retryFor: Duration = .zero) throws {
        self.init(connection: try PostgresConnection.connect(url, retryFor: retryFor))
        try migrate()
    }

    /// Applies the farm schema's pending migrations (idempotent).
    @discardableResult
    public func migrate() throws -> [Int] { try FarmSchema.migrate(connection) }

    /// Runs `body` in one transaction on this store's connection.
    func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try connection.transaction(body)
    }

    /// A fresh id: `prefix-` plus 12 random lower-case base32 characters (60 bits).
    public static func newID(prefix: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<12).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    /// A new job id (`j-…`).
    public static func newJobID() -> String { newID(prefix: "j") }
}

/// SQL fragments shared by the store's files.
enum SQLTime {
    /// `$n` as a timestamp when given, else the transaction's `now()`.
    static func clock(_ n: Int) -> String { "coalesce(to_timestamp($\(n)::float8), now())" }
    /// `$n` (seconds as float8) as an interval.
    static func interval(_ n: Int) -> String { "($\(n)::float8 * interval '1 second')" }
    /// The parameter for ``clock(_:)``.
    static func param(_ date: Date?) -> PostgresValue { date.map { .epoch($0) } ?? .null }
}
