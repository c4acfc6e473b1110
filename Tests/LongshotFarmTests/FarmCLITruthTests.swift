import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol
import LongshotTestSupport
import Testing

extension FarmTests {
    /// The CLI tells the truth (issue 11): each test failed before its fix.
    @Suite("the CLI tells the truth")
    struct CLITruth {
        static func jsonLines(_ text: String) throws -> [[String: Any]] {
            try text.split(separator: "\n").map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw HarnessError("not a JSON object: \(line)")
                }
                return object
            }
        }

        @Test("watch --json: window events name the worker and carry the job's window counts; the last line is the job's end, also for a job that had already ended")
        func watchJSONTellsTheEnd() async throws {
            try await withFarm("watch-json", workers: 1, engine: "synthetic") { farm in
                // 100 ms a step: the job outlasts watch's start, so its window events are seen.
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--engine", "synthetic", "--model", "100"])
                let watched = try farm.cli(["watch", id, "--json"], timeout: .seconds(120))
                #expect(watched.status == 0, "\(watched.stderr)")
                let lines = try Self.jsonLines(watched.stdout)
                let end = try #require(lines.last)
                #expect(end["kind"] as? String == "end" && end["state"] as? String == "succeeded" && end["job"] as? String == id, "\(end)")
                let total = try #require(end["windowsTotal"] as? Int)
                #expect(total >= 2 && end["windowsDone"] as? Int == total, "\(end)")
                #expect(lines.filter { $0["kind"] as? String == "end" }.count == 1)
                let done = lines.filter { $0["kind"] as? String == "done" }
                #expect(!done.isEmpty, "window events: \(watched.stdout)")
                for event in done {
                    #expect(event["worker"] as? String == "w1", "\(event)")
                    #expect(event["windowsTotal"] as? Int == total && (event["windowsDone"] as? Int ?? 0) >= 1, "\(event)")
                }

                let again = try farm.cli(["watch", id, "--json"], timeout: .seconds(30))
                #expect(again.status == 0, "\(again.stderr)")
                let ended = try Self.jsonLines(again.stdout)
                #expect(ended.count == 1 && ended.first?["kind"] as? String == "end" && ended.first?["state"] as? String == "succeeded",
                        "\(again.stdout)")
                #expect((ended.first?["output"] as? [String: Any])?["bytes"] as? Int ?? 0 > 0)
            }
        }

        @Test("rerun --failed: a succeeded job with no failed window is left alone; a cancelled job says how many windows will really render")
        func rerunSaysWhatItDoes() async throws {
            try await withFarm("rerun-truth", workers: 1) { farm in
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                let before = try await farm.waitForJob(id)
                let nothing = try farm.cli(["rerun", id, "--failed"])
                #expect(nothing.status == 0 && nothing.stdout.contains("nothing to rerun: job \(id) succeeded"), "\(nothing.stdout) \(nothing.stderr)")
                let after = try await farm.detail(id)
                #expect(after.state == .succeeded && after.updatedAtMs == before.updatedAtMs, "the job was not touched")
                _ = try farm.fetch(id, as: "still-there.mp4")

                try farm.startWorker("slow", engine: "synthetic")
                var slow = validSpec()
                slow.model = "60000"  // the synthetic engine: a minute per step, so the job never finishes here
                let stuck = try await farm.client().submit(slow)
                _ = try await farm.client().cancel(stuck)
                let windows = try await farm.detail(stuck).windows.count
                let resumed = try farm.cli(["rerun", stuck, "--failed"])
                #expect(resumed.status == 0, "\(resumed.stderr)")
                #expect(resumed.stdout.contains("\(windows) window(s) will be rendered (0 reset, the others had not run yet)"), "\(resumed.stdout)")
                #expect(try await farm.detail(stuck).state != .cancelled)
                _ = try await farm.client().cancel(stuck)
            }
        }

        @Test("workers: a blocked worker shows blocked and a drained one draining; unblock undoes either")
        func blockedIsNotDraining() async throws {
            try await withFarm("blocked-state", workers: 2) { farm in
                func states() throws -> [String: String] {
                    let listed = try farm.cli(["workers", "--json"])
                    let workers = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
                    return Dictionary(uniqueKeysWithValues: workers.compactMap { w in
                        (w["name"] as? String).map { ($0, w["state"] as? String ?? "?") }
                    })
                }
                let blocked = try farm.cli(["workers", "block", "w1"])
                #expect(blocked.status == 0 && blocked.stdout.contains("worker w1 blocked"), "\(blocked.stdout) \(blocked.stderr)")
                _ = try farm.cli(["workers", "drain", "w2"])
                #expect(try states() == ["w1": "blocked", "w2": "draining"])
                let table = try farm.cli(["workers"]).stdout
                #expect(table.contains("blocked") && table.contains("draining"), "\(table)")
                for name in ["w1", "w2"] {
                    let undone = try farm.cli(["workers", "unblock", name])
                    #expect(undone.stdout.contains("worker \(name) unblocked: takes work again"), "\(undone.stdout)")
                }
                #expect(try states() == ["w1": "idle", "w2": "idle"])
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(id)
            }
        }

        @Test("logs name workers as status does; a block is information about the window's own attempt, not an error with a global id")
        func logsNameWorkers() async throws {
            try await withFarm("logs-names", workers: 1, engine: "synthetic") { farm in
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--engine", "synthetic", "--model", "60000"])
                try await farm.waitUntil("a window to be leased", timeout: .seconds(30)) {
                    try await farm.detail(id).windows.contains { $0.state == .leased }
                }
                _ = try farm.cli(["workers", "block", "w1"])
                let logs = try farm.cli(["logs", id, "--json"])
                let lines = try #require(try JSONSerialization.jsonObject(with: Data(logs.stdout.utf8)) as? [[String: Any]])
                #expect(!logs.stdout.contains("w-"), "internal worker ids: \(logs.stdout)")
                #expect(lines.contains { ($0["message"] as? String ?? "").contains("leased to w1") }, "\(logs.stdout)")
                let block = try #require(lines.first { ($0["message"] as? String ?? "").contains("blocked by an operator") }, "\(logs.stdout)")
                #expect(block["level"] as? String == "info" && block["worker"] as? String == "w1", "\(block)")
                let window = try #require(block["window"] as? Int)
                #expect(block["message"] as? String == "window \(window) attempt 1 cancelled: worker blocked by an operator", "\(block)")
                _ = try await farm.client().cancel(id)
            }
        }

        @Test("a coordinator address where nothing listens is one line at once (connection refused), not a 10 s timeout")
        func refusedIsToldAtOnce() throws {
            let scratch = try ScratchDirectory("longshot-refused")
            defer { scratch.remove() }
            let port = try FarmHarness.freePorts(1)[0]
            let started = ContinuousClock.now
            let status = try LongshotProcess.run(
                ["status"], in: scratch.url,
                environment: ["LONGSHOT_COORDINATOR": "tcp://127.0.0.1:\(port)", "LONGSHOT_TOKEN": FarmHarness.randomToken()],
                timeout: .seconds(30))
            #expect(ContinuousClock.now - started < .seconds(5), "it waited")
            #expect(status.status != 0 && status.stderrLines.count == 1, "\(status.stderr)")
            #expect(status.stderr.contains("no coordinator at tcp://127.0.0.1:\(port) (connection refused; the address is from LONGSHOT_COORDINATOR)"),
                    "\(status.stderr)")
        }

        @Test("a job no worker can take says why in show (and submit --wait), instead of waiting without a word")
        func waitingSaysWhy() async throws {
            try await withFarm("waiting", workers: 1, engine: "synthetic") { farm in
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--engine", "synthetic", "--model", "60000"])
                try await farm.waitUntil("a window to be leased", timeout: .seconds(30)) {
                    try await farm.detail(id).windows.contains { $0.state == .leased }
                }
                #expect(try farm.showJSON(id)["waiting"] is NSNull, "a worker can take the job's work")
                _ = try farm.cli(["workers", "drain", "w1"])
                let waiting = try #require(try farm.showJSON(id)["waiting"] as? String)
                #expect(waiting == "every worker offering engine 'synthetic' is unavailable (w1 draining); the job waits until one takes work (`longshot workers unblock NAME`)")
                #expect(try farm.cli(["show", id]).stdout.contains("(waiting: every worker offering engine 'synthetic'"))
                farm.killWorker("w1")
                try farm.startWorker("p1")  // offers procedural only
                try await farm.waitUntil("w1 to be offline", timeout: .seconds(60), poll: .milliseconds(500)) {
                    (try farm.showJSON(id)["waiting"] as? String)?.hasPrefix("no live worker offers engine 'synthetic'") == true
                }
                #expect(try farm.showJSON(id)["waiting"] as? String
                    == "no live worker offers engine 'synthetic' (the live workers offer procedural); the job waits until one joins")
                _ = try await farm.client().cancel(id)
            }
        }
    }
}
