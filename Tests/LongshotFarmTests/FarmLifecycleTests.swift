import Foundation
import LongshotTestSupport
import Testing

extension FarmTests {
    /// The coordinator, workers and their HTTP servers run as services of a ServiceGroup: SIGTERM and
    /// SIGINT shut them down gracefully and the process exits 0.
    @Suite("lifecycle")
    struct Lifecycle {
        @Test("SIGINT drains a worker mid-window (the window it held is finished by it) and SIGTERM stops the coordinator and its HTTP server; both exit 0")
        func signalsDrainAndExitZero() async throws {
            let ports = try FarmHarness.freePorts(2)
            try await withFarm("lifecycle", coordinatorArguments: ["--http", "127.0.0.1:\(ports[0])"]) { farm in
                let worker = try farm.startWorker("w1", engine: "synthetic", arguments: ["--metrics", "127.0.0.1:\(ports[1])"])
                try await farm.waitForWorkers(1)
                // 8 steps of 300 ms: a window takes 2.4 s.
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--engine", "synthetic", "--model", "300"])
                var held: Int?
                try await farm.waitUntil("w1 to hold a window", timeout: .seconds(30), poll: .milliseconds(100)) {
                    let windows = try farm.showJSON(id)["windows"] as? [[String: Any]] ?? []
                    held = windows.first { $0["state"] as? String == "leased" && $0["worker"] as? String == "w1" }?["index"] as? Int
                    return held != nil
                }
                kill(worker.pid, SIGINT)
                try await farm.waitUntil("the worker to exit", timeout: .seconds(60), poll: .milliseconds(100)) { !worker.isRunning }
                #expect(worker.exitStatus == 0, "exit \(worker.exitStatus): \(farm.log(worker.log.lastPathComponent))")
                let window = try #require((try farm.showJSON(id)["windows"] as? [[String: Any]])?.first { $0["index"] as? Int == held })
                #expect(window["state"] as? String == "done" && window["worker"] as? String == "w1", "the drained worker finished window \(held!): \(window)")
                #expect(FarmHarness.isFree(ports[1]), "the worker's HTTP port is released")

                let coordinator = try #require(farm.coordinator)
                kill(coordinator.pid, SIGTERM)
                try await farm.waitUntil("the coordinator to exit", timeout: .seconds(30), poll: .milliseconds(100)) { !coordinator.isRunning }
                #expect(coordinator.exitStatus == 0, "exit \(coordinator.exitStatus)")
                #expect(FarmHarness.isFree(ports[0]), "the coordinator's HTTP port is released")
            }
        }


        @Test("--log-format json: every line of the coordinator and a worker is one object; a lease's lines carry job.id and window.index; --log-level warning keeps info out")
        func jsonLogs() async throws {
            try await withFarm("json-logs", coordinatorArguments: ["--log-format", "json"]) { farm in
                try farm.startWorker("w1", arguments: ["--log-format", "json"])
                try farm.startWorker("quiet", arguments: ["--log-level", "warning"], waitForRegistration: false)
                try await farm.waitForWorkers(2)
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(id)
                for file in ["worker-w1.log", "coordinator.1.log"] {
                    let lines = farm.log(file).split(separator: "\n").filter { $0.hasPrefix("{") }
                    let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    #expect(!objects.isEmpty && objects.count == lines.count, "\(file): \(lines.count) lines, \(objects.count) objects")
                    #expect(objects.allSatisfy { ["time", "level", "label", "message"].allSatisfy($0.keys.contains) }, "\(file)")
                    let about = objects.filter { $0["job.id"] as? String == id }
                    #expect(!about.isEmpty, "\(file) has no line with job.id \(id)")
                    if file.hasPrefix("worker") {
                        #expect(objects.allSatisfy { $0["worker.name"] as? String == "w1" && $0["label"] as? String == "worker" })
                        #expect(about.contains { $0["window.index"] != nil && ($0["message"] as? String ?? "").contains("done in") })
                    }
                }
                let quiet = farm.log("worker-quiet.log")
                #expect(!quiet.contains(" info "), "info lines at --log-level warning: \(quiet)")
            }
        }
    }
}
