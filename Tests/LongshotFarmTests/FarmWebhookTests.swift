import Foundation
import LongshotTestSupport
import Testing

extension FarmTests {
    /// Webhooks: a job's end state POSTed to the cluster's `--webhook` and the job's own `--notify`, signed,
    /// retried past failures, and not lost when the coordinator is killed before delivering.
    @Suite("webhooks")
    struct Webhooks {
        /// A receiver (Tests/Fixtures/webhook_receiver.py) answering 503 to the first `failFirst` calls of each path.
        final class Receiver {
            let port: Int
            let log: URL
            let process: Process

            init(port: Int, log: URL, secret: URL, failFirst: Int) throws {
                self.port = port
                self.log = log
                process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                let script = Metrics.packageRoot().appendingPathComponent("Tests/Fixtures/webhook_receiver.py").path
                process.arguments = ["python3", script, String(port), log.path, secret.path, String(failFirst)]
                try process.run()
                for _ in 0..<100 where FarmHarness.isFree(port) { Thread.sleep(forTimeInterval: 0.05) }
            }

            /// SIGKILL: the test process ignores SIGTERM, and a child inherits that.
            func stop() {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }

            /// The calls received so far.
            var calls: [[String: Any]] {
                guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
                return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            }

            func delivered(_ path: String, job: String) -> [String: Any]? {
                calls.first { $0["path"] as? String == path && $0["status"] as? Int == 200 && ($0["body"] as? [String: Any])?["job"] as? String == job }
            }
        }

        @Test("the end state reaches the cluster's webhook and the job's own, signed, after failed tries; a job may not name a URL the coordinator does not allow")
        func deliveredWithRetries() async throws {
            let port = try FarmHarness.freePorts(1)[0]
            let scratch = try ScratchDirectory("longshot-webhooks")
            defer { scratch.remove() }
            let secret = scratch.file("secret")
            try Data("s3cret-for-the-test".utf8).write(to: secret)
            let receiver = try Receiver(port: port, log: scratch.file("calls.jsonl"), secret: secret, failFirst: 2)
            defer { receiver.stop() }
            let base = "http://127.0.0.1:\(port)"
            try await withFarm(
                "webhooks", workers: 1,
                coordinatorArguments: ["--webhook", base + "/cluster", "--webhook-allow", base + "/jobs/", "--webhook-secret", secret.path]
            ) { farm in
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--notify", base + "/jobs/a"])
                try await farm.waitForJob(id)
                try await farm.waitUntil("both webhooks delivered", timeout: .seconds(30)) {
                    receiver.delivered("/cluster", job: id) != nil && receiver.delivered("/jobs/a", job: id) != nil
                }
                let calls = receiver.calls.filter { $0["path"] as? String == "/cluster" }
                #expect(calls.map { $0["status"] as? Int } == [503, 503, 200], "\(calls)")
                #expect(Set(calls.compactMap { $0["delivery"] as? String }).count == 1, "one delivery id for every try of a call")
                let body = try #require(receiver.delivered("/jobs/a", job: id)?["body"] as? [String: Any])
                #expect(body["event"] as? String == "job.ended" && body["state"] as? String == "succeeded", "\(body)")
                #expect((body["videoBytes"] as? Int ?? 0) > 0 && (body["videoSHA256"] as? String)?.count == 64, "\(body)")
                #expect(body["prompt"] as? String == farmPrompt && body["owner"] as? String == "admin", "\(body)")
                #expect(receiver.calls.allSatisfy { $0["signature_ok"] as? Bool == true && $0["event"] as? String == "job.ended" })

                // A URL outside --webhook-allow: one line, nothing submitted.
                let refused = try farm.cli(["submit", farmPrompt] + FarmHarness.smallJob + ["--notify", "http://169.254.169.254/latest"])
                #expect(refused.status != 0)
                #expect(refused.stderrLines == [
                    "longshot: error: notify: http://169.254.169.254/latest is not allowed: this coordinator allows only URLs starting with \(base)/jobs/"
                ], "\(refused.stderr)")
            }
        }

        @Test("a call pending when the coordinator is killed is made by the next one")
        func survivesCoordinatorKill() async throws {
            let port = try FarmHarness.freePorts(1)[0]
            let scratch = try ScratchDirectory("longshot-webhooks-kill")
            defer { scratch.remove() }
            let secret = scratch.file("secret")
            try Data("another-secret".utf8).write(to: secret)
            let base = "http://127.0.0.1:\(port)"
            try await withFarm("webhooks-kill", workers: 1, coordinatorArguments: ["--webhook", base + "/cluster", "--webhook-secret", secret.path]) { farm in
                // Nothing listens yet: the cancel's call fails (connection refused) and waits to be tried again.
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--steps", "400"])
                #expect(try farm.cli(["cancel", id]).status == 0)
                try await Task.sleep(for: .seconds(1.5))
                farm.killCoordinator()
                let receiver = try Receiver(port: port, log: scratch.file("calls.jsonl"), secret: secret, failFirst: 0)
                defer { receiver.stop() }
                try farm.startCoordinator()
                try await farm.waitUntil("the cancelled job's call after the restart", timeout: .seconds(30)) {
                    receiver.delivered("/cluster", job: id) != nil
                }
                let body = try #require(receiver.delivered("/cluster", job: id)?["body"] as? [String: Any])
                #expect(body["state"] as? String == "cancelled", "\(body)")
                #expect(receiver.calls.count == 1, "delivered once: \(receiver.calls)")
            }
        }
    }
}
