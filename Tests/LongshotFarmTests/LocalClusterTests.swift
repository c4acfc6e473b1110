import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    /// `longshot up` keeps what it starts private (issue 10): its PostgreSQL's socket directory is the
    /// server user's alone and the server syncs to disk; the coordinator's videos, the logs and pid files
    /// are readable by this user only.
    @Suite("local cluster")
    struct LocalClusterPrivacy {
        @Test("up: the private PostgreSQL's socket directory is 0700 with fsync on; data, logs and run are 0700; down stops it all")
        func upIsPrivate() throws {
            let scratch = try ScratchDirectory("longshot-up-private")
            defer { scratch.remove() }
            let state = scratch.file("state").path
            let port = try FarmHarness.freePorts(2)[0]
            let up = try LongshotProcess.run(
                ["up", "--workers", "1", "--state-dir", state, "--port", String(port)], in: scratch.url, timeout: .seconds(120))
            defer { _ = try? LongshotProcess.run(["down", "--state-dir", state], in: scratch.url, timeout: .seconds(120)) }
            try #require(up.status == 0, "\(up.stdout)\n\(up.stderr)")
            func mode(_ path: String) -> Int {
                var info = stat()
                return stat(path, &info) == 0 ? Int(info.st_mode & 0o777) : -1
            }
            for dir in ["data", "logs", "run"] {
                #expect(mode(state + "/" + dir) == 0o700, "\(dir): \(String(mode(state + "/" + dir), radix: 8))")
            }
            #expect(mode(state + "/token") == 0o600)
            let manifest = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: state + "/cluster.json"))) as? [String: Any])
            let postgres = try #require(manifest["postgresDirectory"] as? String)
            #expect(mode(postgres + "/sock") == 0o700, "socket directory: \(String(mode(postgres + "/sock"), radix: 8))")
            #expect(mode(postgres) == 0o700)
            let database = try #require(manifest["database"] as? String)
            let connection = try PostgresConnection(database)
            #expect(try connection.query("SHOW fsync").first?.string(0) == "on")
            #expect(try connection.query("SHOW unix_socket_permissions").first?.string(0) == "0700")
        }
    }
}
