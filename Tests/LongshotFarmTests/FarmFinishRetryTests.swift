import Foundation
import LongshotProtocol
import LongshotTestSupport
import LongshotTransport
import Synchronization
import Testing

/// Finishing a job (stitch, decode, encode on the coordinator) is tried again when it fails: a job whose
/// windows are all rendered is not lost to one crash of the engine's decode. When every try fails the job
/// fails with the number of tries and the last error, and `longshot rerun JOB --failed` (no window to
/// render) finishes it again.
///
/// The engine is Tests/Fixtures/External/flaky_engine.py with `--at decode`: the first decode call of an
/// engine process crashes it (exit 7), for the first `--times` processes only (marker files). Workers never
/// decode, so only the coordinator's finishing meets the fault. The reference is `longshot render` with
/// plain numpy_engine.py.
private enum FinishFixture {
    /// An engine whose first `times` processes crash in their first decode call.
    static func crashingDecode(state: URL, times: Int) -> String {
        "python3 '\(ExternalEngineJobs.flakyEngine)' --state '\(state.path)' --at decode --mode crash --times \(times)"
    }

    /// Every event the coordinator publishes from now on, in order.
    final class EventLog: Sendable {
        private let socket: SubSocket
        private let received = Mutex<[Longshot_V1_Event]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ farm: FarmHarness) throws {
            socket = try SubSocket(dial: farm.eventsAddress, options: TransportOptions(receiveTimeout: .milliseconds(200)))
            try socket.subscribeAll()
            task.withLock { $0 = Task { [self] in await receive() } }
        }

        private func receive() async {
            while !Task.isCancelled {
                guard let message = try? await socket.receive() else { continue }
                if let event = try? Longshot_V1_Event(serializedBytes: message.payload) {
                    received.withLock { $0.append(event) }
                }
            }
        }

        var events: [Longshot_V1_Event] { received.withLock { $0 } }

        func close() {
            task.withLock { $0?.cancel() }
            socket.close()
        }
    }

    /// Submits the job with an engine whose first `crashes` processes crash at decode, on a farm of one
    /// worker, and waits until it is `state`; hands over the farm, the job, its detail and the events.
    static func run(
        _ label: String, crashes: Int, until state: Longshot_V1_JobState,
        _ body: (FarmHarness, String, Longshot_V1_JobDetail, EventLog, URL) async throws -> Void
    ) async throws {
        try await withFarm(label, coordinatorArguments: ["--allow-external-engines"]) { farm in
            try farm.startWorker("w1", engine: "external", arguments: ["--allow-external-engines"])
            let markers = farm.scratch.file("engine-state")
            try FileManager.default.createDirectory(at: markers, withIntermediateDirectories: true)
            let events = try EventLog(farm)
            defer { events.close() }
            try await Task.sleep(for: .milliseconds(300))  // the subscription reaches the publisher
            let started = ContinuousClock.now
            let id = try farm.submit(farmPrompt, ExternalEngineJobs.job(crashingDecode(state: markers, times: crashes)))
            let detail = try await farm.waitForJob(id, state, timeout: .seconds(60))
            print("\(label): job \(state.word) in \(ContinuousClock.now - started)")
            #expect(detail.windows.count == 3, "\(detail.text())")
            for w in detail.windows {
                #expect(w.state == .done && w.attempts == 1, "window \(w.index): \(w.state.word), \(w.attempts) attempts")
            }
            try await body(farm, id, detail, events, markers)
        }
    }

    /// The lines of `longshot logs JOB` that record a failed finish attempt.
    static func finishFailures(_ farm: FarmHarness, _ id: String) throws -> [String] {
        let logs = try farm.cli(["logs", id])
        #expect(logs.status == 0, "\(logs.stderr)")
        return logs.stdout.split(separator: "\n").map(String.init).filter { $0.contains("job.finish_failed") }
    }

    static func marker(_ directory: URL, _ n: Int) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(n == 1 ? "crash-decode" : "crash-decode-\(n)").path)
    }
}

extension FarmTests {
    @Suite("finishing")
    struct Finishing {
        @Test("the engine crashes in the coordinator's first decode: finishing is tried again, the job succeeds with the frames of a fault-free run")
        func crashingDecodeIsRetried() async throws {
            let reference = try ReferenceRenders.video(ExternalEngineJobs.reference)
            try await FinishFixture.run("finish-retry", crashes: 1, until: .succeeded) { farm, id, _, events, markers in
                // The fault happened (once: one marker).
                #expect(FinishFixture.marker(markers, 1))

                // The failed try is recorded for `longshot logs JOB`, with the engine's error.
                let failures = try FinishFixture.finishFailures(farm, id)
                try #require(failures.count == 1, "\(failures)")
                #expect(failures[0].contains("finish attempt 1 of 3 failed"), "\(failures[0])")
                let logs = try farm.cli(["logs", id]).stdout
                #expect(logs.contains("external engine crashed"), "\(logs)")
                #expect(logs.contains("FLAKY-CRASH simulated device fault in decode call 1"), "\(logs)")

                // ... published live ...
                try await farm.waitUntil("the finish failure event", timeout: .seconds(5), poll: .milliseconds(100)) {
                    events.events.contains { $0.jobID == id && $0.kind == .log && $0.message.contains("finish attempt 1 of 3 failed") }
                }
                let published = events.events.filter { $0.jobID == id && $0.message.contains("finish attempt") }
                #expect(published.count == 1, "\(published.map(\.message))")
                #expect(!events.events.contains { $0.jobID == id && $0.jobState == .failed }, "no failed state was published")

                // ... and in the coordinator's log.
                let log = farm.log("coordinator.1.log")
                #expect(log.contains("job \(id): finish attempt 1 of 3 failed"), "\(log)")
                #expect(!log.contains("stitching/encoding failed"), "\(log)")

                // The second try gave the video a fault-free run gives.
                try farm.expectSameFrames(id, as: reference, name: "finish-retry.mp4")
            }
        }

        @Test("every finish attempt fails: the job fails with the attempts and the last error; `rerun --failed` finishes it")
        func failedFinishIsRerun() async throws {
            let reference = try ReferenceRenders.video(ExternalEngineJobs.reference)
            try await FinishFixture.run("finish-fail", crashes: 3, until: .failed) { farm, id, detail, _, markers in
                #expect((1...3).allSatisfy { FinishFixture.marker(markers, $0) })
                #expect(detail.error.hasPrefix("stitching/encoding failed after 3 attempts: external engine crashed"), "\(detail.error)")
                #expect(detail.error.contains("FLAKY-CRASH"), "the last error carries the engine's stderr: \(detail.error)")
                let failures = try FinishFixture.finishFailures(farm, id)
                #expect(failures.count == 2, "attempts 1 and 2 are retried, the third fails the job: \(failures)")
                #expect(failures.first?.contains("finish attempt 1 of 3 failed") == true, "\(failures)")
                #expect(failures.last?.contains("finish attempt 2 of 3 failed") == true, "\(failures)")

                // No window to render: the rerun only finishes the job again (the 4th engine is well).
                let rerun = try farm.cli(["rerun", id, "--failed"])
                #expect(rerun.status == 0, "\(rerun.stderr)")
                let done = try await farm.waitForJob(id, timeout: .seconds(30))
                for w in done.windows {
                    #expect(w.attempts == 1, "window \(w.index) was not rendered again: \(w.attempts) attempts")
                }
                try farm.expectSameFrames(id, as: reference, name: "finish-rerun.mp4")
            }
        }
    }
}
