import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol
import LongshotTestSupport
import LongshotTransport
import Synchronization
import Testing

/// Finishing a job: the coordinator stitches the windows' latents and hands the video out as decode
/// segments; workers decode them with the job's engine and encode them, and the coordinator joins the
/// segments by stream copy. A segment whose decode fails is retried like a window (a fresh engine process),
/// so a job whose windows are all rendered is not lost to a crash of the engine's decode; when a segment's
/// attempts are used up the job fails with the engine's error, and `longshot rerun JOB --failed` (no
/// window to render) decodes it again.
///
/// The engine is Tests/Fixtures/External/flaky_engine.py with `--at decode`: the first decode call of an
/// engine process crashes it (exit 7), for the first `--times` processes only (marker files). Only
/// workers start engines: the coordinator never decodes. The reference is `longshot render` with plain
/// numpy_engine.py (the same segmentation).
private enum FinishFixture {
    /// An engine whose first `times` processes crash in their first decode call.
    static func crashingDecode(state: URL, times: Int) -> String {
        "python3 '\(ExternalEngineJobs.flakyEngine)' --state '\(state.path)' --at decode --mode crash --times \(times)"
    }

    /// Every event the coordinator publishes from now on, in order (read as `watch` does, over the
    /// authenticated control socket).
    final class EventLog: Sendable {
        private let client: FarmClient
        private let received = Mutex<[Longshot_V1_Event]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ farm: FarmHarness) async throws {
            client = try farm.client()
            let start = try await client.events(job: nil, after: 0, epoch: "", wait: .zero)
            task.withLock { $0 = Task { [self] in await receive(from: start) } }
        }

        private func receive(from start: Longshot_V1_EventBatch) async {
            var position = start
            while !Task.isCancelled {
                guard let batch = try? await client.events(job: nil, after: position.last, epoch: position.epoch, wait: .seconds(1))
                else { continue }
                received.withLock { $0.append(contentsOf: batch.events) }
                position = batch
            }
        }

        var events: [Longshot_V1_Event] { received.withLock { $0 } }

        func close() {
            task.withLock { $0?.cancel() }
        }
    }

    /// Submits the job with an engine whose first `crashes` processes crash at decode, on a farm of one
    /// worker, and waits until it is `state`; hands over the farm, the job, its detail and the events.
    static func run(
        _ label: String, crashes: Int, until state: Longshot_V1_JobState,
        _ body: (FarmHarness, String, Longshot_V1_JobDetail, EventLog, URL) async throws -> Void
    ) async throws {
        try await withFarm(label) { farm in
            let markers = farm.scratch.file("engine-state")
            try FileManager.default.createDirectory(at: markers, withIntermediateDirectories: true)
            // No previews: the engine's decode calls are scripted (the first ones crash), and a preview is a decode too.
            try farm.startWorker(
                "w1", arguments: try ExternalEngineJobs.engineFile(crashingDecode(state: markers, times: crashes), in: farm) + ["--preview-seconds", "0"])
            let events = try await EventLog(farm)
            defer { events.close() }
            try await Task.sleep(for: .milliseconds(300))  // the subscription reaches the publisher
            let started = ContinuousClock.now
            let id = try farm.submit(farmPrompt, ExternalEngineJobs.farmJob)
            let detail = try await farm.waitForJob(id, state, timeout: .seconds(60))
            print("\(label): job \(state.word) in \(ContinuousClock.now - started)")
            #expect(detail.windows.count == 3, "\(detail.text())")
            for w in detail.windows {
                #expect(w.state == .done && w.attempts == 1, "window \(w.index): \(w.state.word), \(w.attempts) attempts")
            }
            try await body(farm, id, detail, events, markers)
        }
    }

    /// The lines of `longshot logs JOB` that record a failed decode segment attempt.
    static func segmentFailures(_ farm: FarmHarness, _ id: String) throws -> [String] {
        let logs = try farm.cli(["logs", id])
        #expect(logs.status == 0, "\(logs.stderr)")
        return logs.stdout.split(separator: "\n").map(String.init).filter { $0.contains("decode segment") && $0.contains("failed") }
    }

    static func marker(_ directory: URL, _ n: Int) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(n == 1 ? "crash-decode" : "crash-decode-\(n)").path)
    }
}

extension FarmTests {
    @Suite("finishing")
    struct Finishing {
        @Test("the engine crashes in a worker's first segment decode: the segment is retried, the job succeeds with the frames of a fault-free run")
        func crashingDecodeIsRetried() async throws {
            let reference = try ReferenceRenders.video(ExternalEngineJobs.reference)
            try await FinishFixture.run("finish-retry", crashes: 1, until: .succeeded) { farm, id, _, events, markers in
                // The fault happened (once: one marker).
                #expect(FinishFixture.marker(markers, 1))
                #expect(!FinishFixture.marker(markers, 2))

                // The failed attempt is recorded for `longshot logs JOB`, with the engine's error.
                let failures = try FinishFixture.segmentFailures(farm, id)
                #expect(failures.contains { $0.contains("external engine crashed") }, "\(failures)")
                let logs = try farm.cli(["logs", id]).stdout
                #expect(logs.contains("FLAKY-CRASH simulated device fault in decode call 1"), "\(logs)")
                #expect(logs.contains("segment.done"), "\(logs)")
                #expect(!events.events.contains { $0.jobID == id && $0.jobState == .failed }, "no failed state was published")

                // The worker decoded (and met the fault); the coordinator joined the two segments.
                #expect(farm.log("worker-w1.log").contains("segment 0 failed"), "\(farm.log("worker-w1.log"))")
                #expect(farm.log("coordinator.1.log").contains("segment 0 failed"))
                #expect(logs.components(separatedBy: "segment.done").count - 1 == 2, "\(logs)")

                // The retry gave the video a fault-free run gives.
                try farm.expectSameFrames(id, as: reference, name: "finish-retry.mp4")
            }
        }

        @Test("a segment's decode fails on every attempt: the job fails with the engine's error; `rerun --failed` decodes it again")
        func failedDecodeIsRerun() async throws {
            let reference = try ReferenceRenders.video(ExternalEngineJobs.reference)
            // 2 segments of 4 attempts each: 7 crashing processes use up one segment's attempts.
            try await FinishFixture.run("finish-fail", crashes: 7, until: .failed) { farm, id, detail, _, markers in
                #expect((1...7).allSatisfy { FinishFixture.marker(markers, $0) })
                #expect(detail.error.hasPrefix("decode segment "), "\(detail.error)")
                #expect(detail.error.contains("failed after 4 attempts: external engine crashed"), "\(detail.error)")
                #expect(detail.error.contains("FLAKY-CRASH"), "the error carries the engine's stderr: \(detail.error)")
                let failures = try FinishFixture.segmentFailures(farm, id)
                #expect(failures.count >= 4, "\(failures)")

                // No window to render: the rerun only decodes and encodes again (later engines are well).
                let rerun = try farm.cli(["rerun", id, "--failed"])
                #expect(rerun.status == 0, "\(rerun.stderr)")
                let done = try await farm.waitForJob(id, timeout: .seconds(60))
                for w in done.windows {
                    #expect(w.attempts == 1, "window \(w.index) was not rendered again: \(w.attempts) attempts")
                }
                try farm.expectSameFrames(id, as: reference, name: "finish-rerun.mp4")
            }
        }
    }
}
