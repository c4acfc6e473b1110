/// One versioned schema change: statements applied together in one transaction.
public struct Migration: Sendable, Hashable {
    /// The version, unique and increasing across a migration list.
    public var version: Int
    /// A short name recorded with the version (checked on later runs).
    public var name: String
    /// The statements, each a single SQL statement (libpq's `PQexecParams` runs one at a time).
    public var statements: [String]

    /// Creates a migration.
    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
