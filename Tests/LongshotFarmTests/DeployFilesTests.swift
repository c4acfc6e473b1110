import Foundation
import Testing

extension FarmTests {
    /// The deploy files, checked offline by ops/check-deploy.sh: the systemd units (systemd-analyze verify and
    /// security), the Kubernetes manifests (kubernetes-validate, KEDA's schema, references) and the autoscaling
    /// queries on the farm's schema. With the farm's tests (one at a time): it starts PostgreSQL and runs
    /// validators, and the first run may install kubernetes-validate.
    @Suite("deploy files")
    struct DeployFilesTests {
        /// Runs ops/check-deploy.sh on `directory` (default: deploy/); its exit status and its output.
        ///
        /// Waits with `Task.sleep`, never blocking a thread: the checks take up to a minute under load, and a
        /// test holding one of the two cooperative threads that long stalls every other test of the process.
        private static func checkDeploy(_ directory: URL? = nil) async throws -> (status: Int32, output: String) {
            let script = Metrics.packageRoot().appendingPathComponent("ops/check-deploy.sh").path
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("check-deploy-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            let handle = try FileHandle(forWritingTo: output)
            defer { try? handle.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // At the lowest CPU priority: the checks (a scratch PostgreSQL, kubernetes-validate's schemas,
            // systemd-analyze) take a minute of CPU and tend to start with the suite.
            process.arguments = ["nice", "-n", "19", "bash", script] + (directory.map { [$0.path] } ?? [])
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            while process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            return (process.terminationStatus, String(decoding: try Data(contentsOf: output), as: UTF8.self))
        }

        /// Replaces `old` by `new` in the file at `url`, which must hold it.
        private static func edit(_ url: URL, replacing old: String, with new: String) throws {
            let text = try String(contentsOf: url, encoding: .utf8)
            try #require(text.contains(old), "\(url.lastPathComponent) holds no \(old)")
            try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
        }

        @Test("ops/check-deploy.sh passes on deploy/")
        func deployFilesPass() async throws {
            let result = try await Self.checkDeploy()
            if result.status != 0 { print(result.output) }
            #expect(result.status == 0, "ops/check-deploy.sh exited \(result.status)")
            #expect(result.output.contains(", 0 failed"))
        }

        @Test("ops/check-deploy.sh fails on a unit with an unknown directive and a manifest with an unknown field")
        func brokenFilesFail() async throws {
            let files = FileManager.default
            let scratch = files.temporaryDirectory.appendingPathComponent("longshot-deploy-\(UUID().uuidString)")
            defer { try? files.removeItem(at: scratch) }
            try files.copyItem(at: Metrics.packageRoot().appendingPathComponent("deploy"), to: scratch)
            try Self.edit(
                scratch.appendingPathComponent("systemd/longshot-coordinator.service"),
                replacing: "[Service]\n", with: "[Service]\nRestartSecs=2\n")
            try Self.edit(
                scratch.appendingPathComponent("kubernetes/longshot.yaml"),
                replacing: "terminationGracePeriodSeconds: 300", with: "terminationGracePeriod: 300")

            let result = try await Self.checkDeploy(scratch)
            if result.status == 0 { print(result.output) }
            #expect(result.status != 0)
            #expect(result.output.contains("FAIL  systemd-analyze verify longshot-coordinator.service"))
            #expect(result.output.contains("FAIL  kubernetes-validate"))
            // The untouched files still pass.
            #expect(result.output.contains("ok    systemd-analyze verify longshot-worker@1.service"))
            #expect(result.output.contains("ok    kubernetes-validate") && result.output.contains("gpu-workers.yaml"))
        }
    }
}
