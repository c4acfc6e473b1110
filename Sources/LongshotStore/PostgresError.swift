import CLibPQ

/// An error from PostgreSQL or libpq, carrying what was being done and what the server said.
///
/// `description` is one line that is safe to show a user (no SQL text, no parameters);
/// `String(reflecting:)` adds the SQL statement and the full server message for logs.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What the connection was doing when the error happened.
    public enum Operation: String, Sendable {
        case connect, reset, query, transaction, listen, decode, migrate
    }

    /// The operation that failed.
    public var operation: Operation
    /// The five-character SQLSTATE code (`PG_DIAG_SQLSTATE`), when the server sent one.
    public var sqlState: String?
    /// The message from libpq (`PQerrorMessage` / `PQresultErrorMessage`) or from this wrapper.
    public var message: String
    /// The SQL statement involved, for logs only.
    public var sql: String?
    /// True when the connection itself was lost or could not be made (status `CONNECTION_BAD`
    /// or an SQLSTATE of class 08 / 57P01-57P03); the caller should reconnect and retry.
    public var isConnectionFailure: Bool

    /// Creates an error; usually built by ``PostgresConnection``.
    public init(
        _ operation: Operation, message: String, sqlState: String? = nil, sql: String? = nil,
        isConnectionFailure: Bool = false
    ) {
        self.operation = operation
        self.message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        self.sqlState = sqlState
        self.sql = sql
        let connectionState = sqlState.map { $0.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains($0) } ?? false
        self.isConnectionFailure = isConnectionFailure || connectionState
    }

    /// True for a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// One line: the operation and the first line of the server's message.
    public var description: String {
        let firstLine = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "unknown error"
        var text = "PostgreSQL \(operation.rawValue) failed: \(firstLine)"
        if let sqlState { text += " [\(sqlState)]" }
        if isConnectionFailure && operation != .connect { text += " (connection lost; reconnect and retry)" }
        return text
    }

    /// The description plus the full message and the SQL statement.
    public var debugDescription: String {
        var text = description
        if message.contains("\n") { text += "\n" + message }
        if let sql { text += "\nSQL: " + sql }
        return text
    }
}

extension String {
    /// Copies a C string owned by libpq; nil stays nil.
    init?(libpq pointer: UnsafePointer<CChar>?) {
        guard let pointer else { return nil }
        self.init(cString: pointer)
    }
}
