import Foundation
import LongshotStore
import Testing

@Suite struct ServerRestartTests {
    /// PostgreSQL restarts mid-use: the connection reports a connection failure, then resets and works.
    @Test func connectionSurvivesAServerRestart() throws {
        let directory = "/tmp/longshot-restart-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try LocalPostgresServer(directory: directory, port: 5433, durable: false)
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try server.start()
        #expect(server.isRunning)
        let store = try FarmStore(url: server.url)
        let job = try submit(store, windows: 2)

        try server.stop()
        #expect(!server.isRunning)
        let lost = try #require(throws: PostgresError.self) { try store.job(job) }
        #expect(lost.isConnectionFailure)
        #expect(throws: PostgresError.self) { try store.connection.reconnectIfNeeded(retryFor: .milliseconds(200)) }

        try server.start()
        try store.connection.reconnectIfNeeded(retryFor: .seconds(10))
        #expect(try store.job(job)?.windowCount == 2)
        #expect(try store.migrate() == [])
        // A fresh connect waits while the server is down and connects once it is back.
        try server.stop()
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.5)
            try? server.start()
        }
        let reconnected = try PostgresConnection.connect(server.url, retryFor: .seconds(20))
        #expect(try reconnected.query("SELECT count(*) FROM jobs").first?.int(0) == 1)
    }
}
