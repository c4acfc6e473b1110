import Foundation
import LongshotStore

/// A throwaway PostgreSQL server for tests: started once per test process in a fresh directory under
/// `/tmp`, stopped and deleted when the process exits. Each test asks for its own fresh database.
public enum TestPostgres {
    private static let prefix = "longshot-test-pg-"

    private static let started: Result<LocalPostgresServer, any Error> = Result {
        removeAbandonedServers()
        let directory = "/tmp/\(prefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try LocalPostgresServer(directory: directory, port: 5432, database: "postgres", durable: false)
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

    /// Stops and deletes servers left behind by test processes that crashed (their pid is gone).
    static func removeAbandonedServers() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix(prefix) {
            let pid = entry.dropFirst(prefix.count).split(separator: "-").first.flatMap { Int32($0) }
            guard let pid, kill(pid, 0) != 0, errno == ESRCH else { continue }
            let directory = "/tmp/" + entry
            try? LocalPostgresServer(directory: directory).stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Stops the server and removes its directory (registered with `atexit`).
    static func tearDown() {
        guard case .success(let server) = started else { return }
        try? server.stop()
        try? FileManager.default.removeItem(atPath: server.directory)
    }
}
