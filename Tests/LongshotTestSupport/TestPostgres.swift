import Foundation
import LongshotStore

/// A throwaway PostgreSQL server for tests: started once per test process in a fresh directory under
/// `/tmp`, stopped and deleted when the process exits. Each test asks for its own fresh database.
public enum TestPostgres {
    private static let started: Result<LocalPostgresServer, any Error> = Result {
        let directory = "/tmp/longshot-test-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try LocalPostgresServer(directory: directory, port: 5432, database: "postgres")
        try server.start()
        atexit { TestPostgres.tearDown() }
        return server
    }

    /// The shared server (started on first use).
    /// - Throws: the start failure, for every test that needs it.
    public static func server() throws -> LocalPostgresServer { try started.get() }

    /// Creates a new empty database `test_<random>` on the shared server and returns its URL.
    public static func freshDatabase() throws -> String {
        let server = try server()
        let name = "test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try server.createDatabase(name)
        return server.url(database: name)
    }

    /// Stops the server and removes its directory (registered with `atexit`).
    static func tearDown() {
        guard case .success(let server) = started else { return }
        try? server.stop()
        try? FileManager.default.removeItem(atPath: server.directory)
    }
}
