import Foundation
import LongshotStore
import Testing

@Suite struct LocalPostgresAuthTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    static func withServer(_ body: (LocalPostgresServer) throws -> Void) throws {
        let directory = "/tmp/longshot-auth-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = try LocalPostgresServer(directory: directory, port: 5434, durable: false)
        defer {
            try? server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try server.start()
        try body(server)
    }

    /// The URL without the password file: what another local user who reached the socket would try.
    static func withoutPassword(_ server: LocalPostgresServer) -> String {
        "postgresql:///\(server.database)?host=\(server.socketDirectory)&port=\(server.port)&user=postgres&passfile=/nonexistent"
    }

    @Test("a new local server admits only with the scram password kept in its 0600 password file")
    func newServerNeedsThePassword() throws {
        try Self.withServer { server in
            #expect(Self.mode(server.passwordFile) == 0o600)
            let hba = try String(contentsOfFile: server.dataDirectory + "/pg_hba.conf", encoding: .utf8)
            let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(rules.allSatisfy { !$0.contains("trust") } && rules.contains { $0.contains("scram-sha-256") }, "\(rules)")
            let refused = try #require(throws: PostgresError.self) { try PostgresConnection(Self.withoutPassword(server)) }
            #expect("\(refused)".contains("password"), "\(refused)")
            let connection = try PostgresConnection(server.url)
            #expect(try connection.query("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")
                .first?.string(0) == "t")
        }
    }

    @Test("a server made with trust authentication (before passwords) gets a password and stops trusting on its next start")
    func trustServerIsUpgraded() throws {
        try Self.withServer { server in
            // Turn it back into what an earlier Longshot made: trust for every local connection, no password file.
            try "local all all trust\n".write(toFile: server.dataDirectory + "/pg_hba.conf", atomically: false, encoding: .utf8)
            try PostgresConnection(server.url).query("SELECT pg_reload_conf()")
            try FileManager.default.removeItem(atPath: server.passwordFile)
            _ = try PostgresConnection(Self.withoutPassword(server))

            try server.start()
            #expect(Self.mode(server.passwordFile) == 0o600)
            #expect(throws: PostgresError.self) { try PostgresConnection(Self.withoutPassword(server)) }
            _ = try PostgresConnection(server.url)
            try server.stop()
            try server.start()
            #expect(throws: PostgresError.self) { try PostgresConnection(Self.withoutPassword(server)) }
            _ = try PostgresConnection(server.url)
        }
    }
}
