/// Applies an ordered list of ``Migration``s, each in its own transaction, recording each in
/// `schema_migrations`.
///
/// Safe to run from several coordinators at once: it holds `pg_advisory_lock` while it works, so one
/// applies and the others then find nothing to do. Running it again is a no-op.
public struct Migrator: Sendable {
    /// The advisory lock key (the ASCII of "LONGSHOT" read as a 64-bit integer).
    public static let lockKey: Int64 = 0x4C4F_4E47_5348_4F54

    /// The migrations, sorted by version.
    public let migrations: [Migration]

    /// Creates a migrator.
    /// - Precondition: versions are positive and unique.
    public init(_ migrations: [Migration]) {
        let sorted = migrations.sorted { $0.version < $1.version }
        precondition(Set(sorted.map(\.version)).count == sorted.count, "duplicate migration versions")
        precondition(sorted.allSatisfy { $0.version > 0 }, "migration versions must be positive")
        self.migrations = sorted
    }

    /// Applies every migration not yet recorded.
    /// - Returns: the versions applied by this call (empty when the schema was up to date).
    /// - Throws: ``PostgresError`` (`.migrate`) when the database holds a version this code does not know
    ///   or a recorded name differs, or the error of a failing statement (that migration is rolled back).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [.int64(Self.lockKey)])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [.int64(Self.lockKey)]) }
        try connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let applied = try appliedMigrations(connection)
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0.name) })
        for (version, name) in applied {
            guard let expected = known[version] else {
                throw PostgresError(
                    .migrate, message: "database schema version \(version) (\(name)) is newer than this program: upgrade it")
            }
            guard expected == name else {
                throw PostgresError(
                    .migrate, message: "schema version \(version) is recorded as \(name), expected \(expected)")
            }
        }
        var done: [Int] = []
        for migration in migrations where applied[migration.version] == nil {
            try connection.transaction { connection in
                for statement in migration.statements { try connection.query(statement) }
                try connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)",
                    [.int(migration.version), .text(migration.name)])
            }
            done.append(migration.version)
        }
        return done
    }

    /// The versions recorded in `schema_migrations` (empty when the table does not exist yet).
    public func appliedVersions(_ connection: PostgresConnection) throws -> [Int] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists.first?.bool(0) == true else { return [] }
        return try appliedMigrations(connection).keys.sorted()
    }

    private func appliedMigrations(_ connection: PostgresConnection) throws -> [Int: String] {
        let result = try connection.query("SELECT version, name FROM schema_migrations ORDER BY version")
        var applied: [Int: String] = [:]
        for row in result.rows { applied[try row.int(0)] = try row.string(1) }
        return applied
    }
}
