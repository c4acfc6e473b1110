import Foundation
import LongshotCluster
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    /// `longshot up` keeps what it starts private (issue 10): its PostgreSQL's socket directory is the
    /// server user's alone and the server syncs to disk; the coordinator's videos, the logs and pid files
    /// are readable by this user only.
    @Suite("local cluster")
    struct LocalClusterPrivacy {
        @Test("up: the private PostgreSQL's socket directory is 0700, it wants a scram password, fsync is on; data, logs and run are 0700; down stops it all")
        func upIsPrivate() throws {
            let scratch = try ScratchDirectory("longshot-up-private")
            defer { scratch.remove() }
            let state = scratch.file("state").path
            let port = try FarmHarness.freePortPair()
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
            for file in ["token", "client-token", "worker-token", "credentials.yaml"] {
                #expect(mode(state + "/" + file) == 0o600, "\(file)")
            }
            // Each role its own credential: the CLI's (admin) drains, the client's submits but may not drain,
            // the workers' may not submit.
            let tokens = try ["token", "client-token", "worker-token"].map {
                try String(contentsOfFile: state + "/" + $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(Set(tokens).count == 3)
            let asClient = try LongshotProcess.run(
                ["workers", "drain", "worker-1", "--state-dir", state], in: scratch.url, environment: ["LONGSHOT_TOKEN": tokens[1]],
                timeout: .seconds(30))
            #expect(asClient.status != 0 && asClient.stderr.contains("client guest may not drain"), "\(asClient.stderr)")
            let asWorker = try LongshotProcess.run(
                ["submit", "a red ball", "--state-dir", state], in: scratch.url, environment: ["LONGSHOT_TOKEN": tokens[2]],
                timeout: .seconds(30))
            #expect(asWorker.status != 0 && asWorker.stderr.contains("worker local-workers may not submit jobs"), "\(asWorker.stderr)")
            // The worker's environment holds its own credential only (no admin or client token).
            let workerPID = try String(contentsOfFile: state + "/run/worker-1.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(workerPID)/environ"))) ?? Data()
            let variables = String(decoding: environ, as: UTF8.self).split(separator: "\u{0}").map(String.init)
            #expect(variables.contains("LONGSHOT_WORKER_TOKEN=" + tokens[2]))
            #expect(!variables.contains { $0.contains(tokens[0]) || $0.contains(tokens[1]) })

            // A worker that is alive but stuck (stopped: no heartbeats) is replaced by the next `up`.
            kill(pid_t(workerPID)!, SIGSTOP)
            defer { kill(pid_t(workerPID)!, SIGKILL) }
            let deadline = ContinuousClock.now + .seconds(30)
            var offline = false
            while !offline, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.5)
                let status = try LongshotProcess.run(["workers", "--json", "--state-dir", state], in: scratch.url, timeout: .seconds(30))
                offline = status.stdout.contains("\"offline\"")
            }
            #expect(offline, "the stopped worker went offline")
            let again = try LongshotProcess.run(
                ["up", "--workers", "1", "--state-dir", state, "--port", String(port)], in: scratch.url, timeout: .seconds(120))
            #expect(again.status == 0 && (again.stdout + again.stderr).contains("restarting it"), "\(again.stdout) \(again.stderr)")
            let newPID = try String(contentsOfFile: state + "/run/worker-1.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(newPID != workerPID)

            // A smaller --workers stops the workers beyond it.
            let two = try LongshotProcess.run(["up", "--workers", "2", "--state-dir", state], in: scratch.url, timeout: .seconds(120))
            #expect(two.status == 0, "\(two.stderr)")
            let secondPID = try #require(pid_t(try String(contentsOfFile: state + "/run/worker-2.pid", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            let one = try LongshotProcess.run(["up", "--workers", "1", "--state-dir", state], in: scratch.url, timeout: .seconds(120))
            #expect(one.status == 0 && (one.stdout + one.stderr).contains("worker-2: stopped"), "\(one.stdout) \(one.stderr)")
            #expect(!FileManager.default.fileExists(atPath: state + "/run/worker-2.pid"))
            #expect(!ProcessProbe.isAlive(secondPID), "worker-2 (pid \(secondPID)) exited")
            let manifest = try #require(try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: state + "/cluster.json"))) as? [String: Any])
            let postgres = try #require(manifest["postgresDirectory"] as? String)
            #expect(mode(postgres + "/sock") == 0o700, "socket directory: \(String(mode(postgres + "/sock"), radix: 8))")
            #expect(mode(postgres) == 0o700)
            #expect(mode(postgres + "/pgpass") == 0o600, "password file")
            let database = try #require(manifest["database"] as? String)
            let connection = try PostgresConnection(database)
            #expect(try connection.query("SHOW fsync").first?.string(0) == "on")
            #expect(try connection.query("SHOW unix_socket_permissions").first?.string(0) == "0700")

            // A stopped cluster is one line at once (its pid files), not a 10 s timeout.
            let down = try LongshotProcess.run(["down", "--state-dir", state], in: scratch.url, timeout: .seconds(120))
            #expect(down.status == 0, "\(down.stderr)")
            let started = ContinuousClock.now
            let status = try LongshotProcess.run(["status", "--state-dir", state], in: scratch.url, timeout: .seconds(30))
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(status.status != 0 && status.stderrLines.count == 1, "\(status.stderr)")
            #expect(status.stderr.contains("the local cluster in \(state) is stopped (its coordinator is not running): `longshot up` starts it"),
                    "\(status.stderr)")
        }
    }
}
