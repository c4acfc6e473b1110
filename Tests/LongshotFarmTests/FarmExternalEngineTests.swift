import Foundation
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// External engines in the farm (docs/external-engine.md, "Failures"): a window whose engine process
/// crashes or hangs fails its lease with the engine's stderr tail, is leased again (a fresh engine
/// process) and the job still gives the frames of a run without the fault.
///
/// The engine is Tests/Fixtures/External/flaky_engine.py: ops/external/numpy_engine.py that, once (a
/// marker file in the farm's scratch directory), crashes or hangs at the third velocity call of the window
/// starting at latent frame ``flakyFirstFrame``. The reference is `longshot render` with plain numpy_engine.py.
private enum ExternalFixture {
    /// The first latent frame of the window that misbehaves (window 1, in the middle of the job).
    static let flakyFirstFrame = 5

    static func flaky(_ mode: String, state: URL) -> String {
        "python3 '\(ExternalEngineJobs.flakyEngine)' --state '\(state.path)' --first-frame \(flakyFirstFrame) --mode \(mode)"
    }

    struct Attempt: CustomStringConvertible {
        var outcome: String
        var error: String
        var logTail: String
        var description: String { "\(outcome): \(error)" }
    }

    /// The `attempts` rows of one window, oldest first.
    static func attempts(_ farm: FarmHarness, job: String, window: UInt32) throws -> [Attempt] {
        let connection = try PostgresConnection(farm.databaseURL)
        let result = try connection.query(
            """
            SELECT outcome, coalesce(error, '') AS error, coalesce(log_tail, '') AS log_tail FROM attempts
            WHERE job_id = $1 AND window_index = $2 ORDER BY id
            """, [.text(job), .int(Int(window))])
        return try result.rows.map {
            Attempt(outcome: try $0.string("outcome"), error: try $0.string("error"), logTail: try $0.string("log_tail"))
        }
    }

    /// Runs one job whose flaky window misbehaves in `mode` on a farm of one external-engine worker;
    /// checks what every fault must give and hands the failed attempt's error to `check`.
    static func runFaultyJob(
        _ label: String, mode: String, workerEnvironment: [String: String] = [:],
        check: (_ error: String) throws -> Void
    ) async throws {
        let reference = try ReferenceRenders.video(ExternalEngineJobs.reference)
        try await withFarm(label) { farm in
            let state = farm.scratch.file("engine-state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            try farm.startWorker(
                "w1", arguments: try ExternalEngineJobs.engineFile(flaky(mode, state: state), in: farm), environment: workerEnvironment)
            let started = ContinuousClock.now
            let id = try farm.submit(farmPrompt, ExternalEngineJobs.farmJob)
            let detail = try await farm.waitForJob(id, timeout: .seconds(90))
            print("\(label): job done in \(ContinuousClock.now - started)")

            // The fault really happened, once, in the window it was meant for.
            #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("\(mode)-\(flakyFirstFrame)").path))
            #expect(detail.windows.count == 3, "\(detail.text())")
            let victim = try #require(detail.windows.first { $0.firstFrame == flakyFirstFrame }, "\(detail.text())")
            #expect(detail.windows.allSatisfy { $0.state == .done }, "\(detail.text())")
            for w in detail.windows {
                #expect(w.attempts == (w.index == victim.index ? 2 : 1), "window \(w.index): \(w.attempts) attempts")
            }

            // The store: a failed attempt (not an expired lease: the worker kept renewing it), then a done one.
            let rows = try attempts(farm, job: id, window: victim.index)
            try #require(rows.map(\.outcome) == ["failed", "done"], "window \(victim.index) attempts: \(rows)")
            let error = rows[0].error
            #expect(error.contains("flaky_engine.py"), "the error names the command: \(error)")
            #expect(error.contains("(velocity call)"), "the error names the call: \(error)")
            #expect(error.contains("engine stderr (last"), "the error carries the stderr tail: \(error)")
            #expect(error.contains("numpy engine: hello from"), "the tail has the engine's earlier lines: \(error)")
            #expect(!rows[0].logTail.isEmpty, "the worker's own log tail is recorded too")
            #expect(rows[1].error.isEmpty)
            print("\(label): the failed attempt: \(error)")
            try check(error)

            // What `longshot logs JOB --window N` shows: the failed attempt with the engine's stderr.
            let logs = try farm.cli(["logs", id, "--window", String(victim.index)])
            #expect(logs.status == 0, "\(logs.stderr)")
            #expect(logs.stdout.contains("attempt") && logs.stdout.contains("failed"), "\(logs.stdout)")
            #expect(logs.stdout.contains("FLAKY-\(mode.uppercased())"), "\(logs.stdout)")

            // The retry rendered the window as if nothing had happened.
            try farm.expectSameFrames(id, as: reference, name: "\(label).mp4")
        }
    }

    /// The engine's pid from its stderr line ("... pid N").
    static func enginePID(in error: String) -> pid_t? {
        guard let range = error.range(of: #"pid (\d+)"#, options: .regularExpression) else { return nil }
        return pid_t(error[range].dropFirst(4))
    }

    /// Whether `pid` is alive: it exists and is not a zombie. The engine runs under `sh -c`, so once its
    /// process group is killed it waits, a zombie, for init to reap it, which takes a moment.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}

extension FarmTests {
    @Suite("external engines")
    struct ExternalEngines {
        @Test("an external engine that crashes mid-window: the failure carries its stderr tail, the window is retried, the frames are identical")
        func crashingEngineIsRetried() async throws {
            try await ExternalFixture.runFaultyJob("external-crash", mode: "crash") { error in
                #expect(error.hasPrefix("external engine crashed:"), "\(error)")
                #expect(error.contains("(exit 7)"), "the error gives the exit status: \(error)")
                #expect(error.contains("FLAKY-CRASH simulated device fault"), "the engine's last stderr line: \(error)")
            }
        }

        @Test("an external engine that hangs mid-window: killed after LONGSHOT_ENGINE_TIMEOUT, the window is retried, the frames are identical")
        func hangingEngineIsRetried() async throws {
            try await ExternalFixture.runFaultyJob(
                "external-hang", mode: "hang", workerEnvironment: ["LONGSHOT_ENGINE_TIMEOUT": "3"]
            ) { error in
                #expect(error.hasPrefix("external engine timeout:"), "\(error)")
                #expect(error.contains("gave no reply within 3.0 s; the engine was killed"), "\(error)")
                #expect(error.contains("FLAKY-HANG stuck in"), "the engine's last stderr line: \(error)")
                // The hung engine is gone (its process group was killed), not left sleeping on the worker.
                let pid = try #require(ExternalFixture.enginePID(in: error), "no pid in \(error)")
                let deadline = ContinuousClock.now + .seconds(5)
                while ExternalFixture.isAlive(pid), ContinuousClock.now < deadline { usleep(50_000) }
                #expect(!ExternalFixture.isAlive(pid), "the hung engine \(pid) is still running")
            }
        }
    }
}
