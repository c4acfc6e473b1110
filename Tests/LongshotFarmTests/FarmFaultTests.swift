import Foundation
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

/// Fault tests run the synthetic engine, which sleeps `--model` ms per step and scales the noise, differently
/// in each window:
/// windows take seconds (time to strike mid-window), and the video is a pure function of the job, so the
/// fault-free reference is `longshot render --engine synthetic --model 0` of the same job (the model's
/// sleep time changes nothing in the output).
private func syntheticJob(ms: Int) -> [String] {
    FarmHarness.smallJob + ["--engine", "synthetic", "--model", String(ms)]
}

private let syntheticReference = FarmHarness.smallJob + ["--engine", "synthetic", "--model", "0"]

extension FarmTests {
    @Suite("faults")
    struct Faults {
        @Test("kill -9 a worker mid-window: its lease expires, another worker finishes, the frames are identical")
        func killedWorkerMidWindow() async throws {
            let reference = try ReferenceRenders.video(syntheticReference)
            try await withFarm("kill-worker", workers: 2, engine: "synthetic") { farm in
                // 8 steps x 300 ms: a window takes 2.4 s.
                let id = try farm.submit(farmPrompt, syntheticJob(ms: 300))
                var victim: UInt32 = 0
                try await farm.waitUntil("a window leased by w1", timeout: .seconds(60), poll: .milliseconds(100)) {
                    let detail = try await farm.detail(id)
                    guard let w = detail.windows.first(where: { $0.state == .leased && $0.worker == "w1" }) else { return false }
                    victim = w.index
                    return true
                }
                // Let it get into its steps, then kill it mid-window.
                try await Task.sleep(for: .milliseconds(500))
                let mid = try await farm.detail(id)
                try #require(mid.windows[Int(victim)].state == .leased, "window \(victim) finished too soon: \(mid.text())")
                farm.killWorker("w1")

                let detail = try await farm.waitForJob(id, timeout: .seconds(120))
                let window = detail.windows[Int(victim)]
                #expect(window.attempts >= 2, "window \(victim): \(window.attempts) attempts")
                #expect(window.worker == "w2", "window \(victim) finished by \(window.worker)")
                #expect(detail.windows.allSatisfy { $0.state == .done })
                let logs = try await farm.client().logs(id, window: victim, tail: 0)
                #expect(logs.lines.contains { $0.message.contains("expired") }, "\(logs.lines.map(\.message))")
                try farm.expectSameFrames(id, as: reference, name: "kill-worker.mp4")
            }
        }

        @Test("kill -9 the coordinator mid-job and restart it: the job completes, done windows keep their one attempt")
        func killedCoordinatorMidJob() async throws {
            let reference = try ReferenceRenders.video(syntheticReference)
            try await withFarm("kill-coordinator", workers: 2, engine: "synthetic") { farm in
                // 8 steps x 150 ms: a window takes 1.2 s.
                let id = try farm.submit(farmPrompt, syntheticJob(ms: 150))
                var doneBefore: Set<UInt32> = []
                var total = 0
                try await farm.waitUntil("two windows done", timeout: .seconds(60), poll: .milliseconds(100)) {
                    let detail = try await farm.detail(id)
                    total = detail.windows.count
                    doneBefore = Set(detail.windows.filter { $0.state == .done }.map(\.index))
                    return doneBefore.count >= 2
                }
                farm.killCoordinator()
                // What the database says was done at the moment of the kill (a result can land just before it).
                let connection = try PostgresConnection(farm.databaseURL)
                let rows = try connection.query(
                    "SELECT index FROM windows WHERE job_id = $1 AND state = 'done'", [.text(id)])
                doneBefore = Set(try rows.rows.map { UInt32(try $0.int(0)) })
                try #require(doneBefore.count < total, "every window was done before the kill; nothing to test")
                print("killed the coordinator with windows \(doneBefore.sorted()) of \(total) done")

                try await Task.sleep(for: .seconds(1))
                try farm.startCoordinator()
                let detail = try await farm.waitForJob(id, timeout: .seconds(120))
                let attempts = try farm.attemptRows(id)
                for index in doneBefore {
                    #expect(detail.windows[Int(index)].attempts == 1, "window \(index) was recomputed")
                    #expect(attempts[Int(index)] == 1, "window \(index) has \(attempts[Int(index)] ?? 0) attempt rows")
                }
                try farm.expectSameFrames(id, as: reference, name: "kill-coordinator.mp4")
            }
        }

        @Test("stop and restart PostgreSQL mid-job: nothing is lost")
        func postgresRestartMidJob() async throws {
            let reference = try ReferenceRenders.video(syntheticReference)
            // Its own server: the test process's shared one serves other tests' databases.
            let directory = "/tmp/longshot-farm-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let server = try LocalPostgresServer(directory: directory, port: 5440 + Int.random(in: 0...50), durable: false)
            defer {
                try? server.stop()
                try? FileManager.default.removeItem(atPath: directory)
            }
            try server.start()
            try await withFarm("pg-restart", workers: 2, engine: "synthetic", databaseURL: server.url) { farm in
                let id = try farm.submit(farmPrompt, syntheticJob(ms: 150))
                try await farm.waitUntil("a window done", timeout: .seconds(60), poll: .milliseconds(100)) {
                    try await farm.detail(id).windows.contains { $0.state == .done }
                }
                try server.stop()
                #expect(!server.isRunning)
                // Down for a few seconds while workers upload results and renew leases.
                try await Task.sleep(for: .seconds(3))
                try server.start()

                let detail = try await farm.waitForJob(id, timeout: .seconds(120))
                #expect(detail.windows.allSatisfy { $0.state == .done }, "\(detail.text())")
                #expect(farm.coordinator?.isRunning == true, "the coordinator exited")
                try farm.expectSameFrames(id, as: reference, name: "pg-restart.mp4")
            }
        }
    }
}
