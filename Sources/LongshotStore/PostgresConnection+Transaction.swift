extension PostgresConnection {
    /// Runs `body` inside a transaction: `BEGIN`, then `COMMIT` when it returns or `ROLLBACK` when it throws.
    ///
    /// Nested calls use savepoints, so an inner failure rolls back only the inner part.
    /// - Throws: whatever `body` throws (after rolling back), or ``PostgresError`` from BEGIN/COMMIT.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let depth = transactionDepth
        let savepoint = "longshot_sp\(depth)"
        try query(depth == 0 ? "BEGIN" : "SAVEPOINT \(savepoint)")
        transactionDepth = depth + 1
        do {
            let value = try body(self)
            transactionDepth = depth
            try query(depth == 0 ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
            return value
        } catch {
            transactionDepth = depth
            if isConnected {
                // A failed rollback on a live connection leaves nothing more to undo; report the original error.
                _ = try? query(depth == 0 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint)")
            }
            throw error
        }
    }
}
