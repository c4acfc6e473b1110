import Foundation
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

/// Codenoise fault jobs: the small job with 16 steps on the synthetic engine (`ms` per step, a velocity that
/// differs per window, so fusion matters).
private func codenoiseJob(ms: Int) -> [String] {
    FarmHarness.smallShape + ["--steps", "16", "--fusion", "codenoise", "--engine", "synthetic", "--model", String(ms)]
}

private let codenoiseReference = codenoiseJob(ms: 0)

/// Checkpoints after steps 4, 8 and 12 whatever their timing, so the tests know where groups resume.
private let everyFourSteps = ["--checkpoint-every", "4", "--checkpoint-min-interval-ms", "0"]

extension FarmHarness {
    /// The job's groups as the database has them: (index, state, step, checkpoint step, attempts).
    func groupRows(_ id: String) throws -> [(index: Int, state: String, step: Int, checkpoint: Int, attempts: Int)] {
        let connection = try PostgresConnection(databaseURL)
        return try connection.query(
            "SELECT index, state, step, checkpoint_step, attempts FROM groups WHERE job_id = $1 ORDER BY index", [.text(id)]
        ).rows.map { (try $0.int(0), try $0.string(1), try $0.int(2), try $0.int(3), try $0.int(4)) }
    }

    /// Messages of the job's stored events of `kind`.
    func eventMessages(_ id: String, kind: String) throws -> [String] {
        let connection = try PostgresConnection(databaseURL)
        return try connection.query("SELECT message FROM events WHERE job_id = $1 AND kind = $2 ORDER BY id", [.text(id), .text(kind)])
            .rows.map { try $0.string(0) }
    }
}

extension FarmTests {
    @Suite("codenoise faults")
    struct CodenoiseFaults {
        @Test("kill -9 a worker mid-step: the other worker adopts its group from the checkpoint; the frames are identical")
        func killedWorkerMidStep() async throws {
            let reference = try ReferenceRenders.video(codenoiseReference)
            try await withFarm("codenoise-kill-worker", workers: 2, engine: "synthetic", coordinatorArguments: everyFourSteps) { farm in
                try await farm.waitForWorkers(2)
                let id = try farm.submit(farmPrompt, codenoiseJob(ms: 150))
                try await farm.waitUntil("both groups past their first checkpoint", timeout: .seconds(60), poll: .milliseconds(100)) {
                    let rows = try farm.groupRows(id)
                    return rows.count == 2 && rows.allSatisfy { $0.checkpoint >= 4 && $0.step >= 5 }
                }
                let detail = try await farm.detail(id)
                let victim = try #require(detail.groups.first { $0.worker == "w1" }, "\(detail.groups)")
                try #require(victim.state == .leased && victim.step < 16, "group \(victim.index) finished too soon")
                farm.killWorker("w1")
                let checkpointAtKill = try farm.groupRows(id)[Int(victim.index)].checkpoint
                print("killed w1 holding group \(victim.index) at step \(victim.step) (checkpoint \(checkpointAtKill))")

                let done = try await farm.waitForJob(id, timeout: .seconds(120))
                let group = done.groups[Int(victim.index)]
                #expect(group.attempts == 2, "group \(victim.index): \(group.attempts) attempts")
                #expect(group.worker == "w2", "group \(victim.index) finished by \(group.worker)")
                let grants = try farm.eventMessages(id, kind: "group.leased").filter { $0.hasPrefix("group \(victim.index) ") }
                #expect(grants.count == 2 && grants.last?.contains("from step \(checkpointAtKill)") == true, "\(grants)")
                #expect(checkpointAtKill >= 4)
                try farm.expectSameFrames(id, as: reference, name: "codenoise-kill-worker.mp4")
            }
        }

        @Test("kill -9 the coordinator mid-job: the groups resume from their common checkpoint; the frames are identical")
        func killedCoordinatorMidJob() async throws {
            let reference = try ReferenceRenders.video(codenoiseReference)
            try await withFarm("codenoise-kill-coordinator", workers: 2, engine: "synthetic", coordinatorArguments: everyFourSteps) { farm in
                try await farm.waitForWorkers(2)
                let id = try farm.submit(farmPrompt, codenoiseJob(ms: 150))
                try await farm.waitUntil("both groups past step 8's checkpoint", timeout: .seconds(60), poll: .milliseconds(100)) {
                    let rows = try farm.groupRows(id)
                    return rows.count == 2 && rows.allSatisfy { $0.checkpoint >= 8 && $0.step < 16 }
                }
                farm.killCoordinator()
                let floor = try farm.groupRows(id).map(\.checkpoint).min() ?? 0
                print("killed the coordinator with the checkpoint floor at step \(floor)")
                try await Task.sleep(for: .seconds(1))
                try farm.startCoordinator()

                let done = try await farm.waitForJob(id, timeout: .seconds(120))
                #expect(done.groups.allSatisfy { $0.state == .done }, "\(done.groups)")
                let rollbacks = try farm.eventMessages(id, kind: "job.rollback")
                #expect(rollbacks == ["every group resumes from step \(floor): the coordinator restarted"], "\(rollbacks)")
                // Every group's second grant resumes from the floor: nothing before it is computed again.
                let grants = try farm.eventMessages(id, kind: "group.leased")
                #expect(grants.count == 4, "\(grants)")
                #expect(grants.suffix(2).allSatisfy { $0.contains("from step \(floor)") }, "\(grants)")
                #expect(floor >= 8)
                try farm.expectSameFrames(id, as: reference, name: "codenoise-kill-coordinator.mp4")
            }
        }

        @Test("stop and restart PostgreSQL mid-job: the codenoise job completes with identical frames")
        func postgresRestartMidJob() async throws {
            let reference = try ReferenceRenders.video(codenoiseReference)
            let directory = "/tmp/longshot-farm-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let server = try LocalPostgresServer(directory: directory, port: 5500 + Int.random(in: 0...50), durable: false)
            defer {
                try? server.stop()
                try? FileManager.default.removeItem(atPath: directory)
            }
            try server.start()
            try await withFarm("codenoise-pg-restart", workers: 2, engine: "synthetic", databaseURL: server.url, coordinatorArguments: everyFourSteps) { farm in
                try await farm.waitForWorkers(2)
                let id = try farm.submit(farmPrompt, codenoiseJob(ms: 150))
                try await farm.waitUntil("a checkpoint", timeout: .seconds(60), poll: .milliseconds(100)) {
                    try farm.groupRows(id).contains { $0.checkpoint >= 4 }
                }
                try server.stop()
                try await Task.sleep(for: .seconds(3))
                try server.start()
                let done = try await farm.waitForJob(id, timeout: .seconds(120))
                #expect(done.groups.allSatisfy { $0.state == .done }, "\(done.groups)")
                #expect(farm.coordinator?.isRunning == true, "the coordinator exited")
                try farm.expectSameFrames(id, as: reference, name: "codenoise-pg-restart.mp4")
            }
        }
    }
}

extension FarmTests.CodenoiseFaults {
    @Test("`rerun` of a codenoise job recomputes every group from step 0; the frames stay identical")
    func rerunRecomputesEveryGroup() async throws {
        let reference = try ReferenceRenders.video(codenoiseReference)
        try await withFarm("codenoise-rerun", workers: 2, engine: "synthetic") { farm in
            try await farm.waitForWorkers(2)
            let id = try farm.submit(farmPrompt, codenoiseJob(ms: 20))
            try await farm.waitForJob(id)
            try farm.expectSameFrames(id, as: reference, name: "before.mp4")
            let rerun = try farm.cli(["rerun", id, "--windows", "1"])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(rerun.stdout.contains("6 window(s)"), "a codenoise rerun renders every window: \(rerun.stdout)")
            let again = try await farm.waitForJob(id)
            #expect(again.groups.count == 2 && again.groups.allSatisfy { $0.state == .done && $0.attempts == 1 }, "\(again.groups)")
            // Nothing failed: --failed has nothing to render, and leaves the job alone.
            let failed = try farm.cli(["rerun", id, "--failed"])
            #expect(failed.status == 0 && failed.stdout.contains("nothing to rerun"), "\(failed.stdout)")
            #expect(try await farm.detail(id).state == .succeeded)
            try farm.expectSameFrames(id, as: reference, name: "after.mp4")
            let grants = try farm.eventMessages(id, kind: "group.leased")
            #expect(grants.count == 4 && grants.allSatisfy { $0.contains("from step 0") }, "\(grants)")
        }
    }
}
