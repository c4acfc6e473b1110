import Foundation
import LongshotTestSupport
import Testing

extension FarmTests {
    /// `/metrics`, `/healthz` and `/readyz` on the coordinator (`--http`) and on workers (`--metrics`),
    /// read by Prometheus's own text-format parser (prometheus-client, from PyPI).
    @Suite("metrics")
    struct Metrics {
        /// Runs ops/metrics-check.py on `url`: the families, by name, as parsed.
        static func families(_ url: String, requiring names: [String] = []) throws -> [String: [String: Any]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", packageRoot().appendingPathComponent("ops/metrics-check.py").path, url] + names
            let output = Pipe()
            let errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw HarnessError("metrics-check \(url): \(problem)") }
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        }

        /// The value of the sample `name` whose labels include `labels`.
        static func value(_ families: [String: [String: Any]], _ family: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
            let samples = families[family]?["samples"] as? [[Any]] ?? []
            return samples.first { sample in
                sample[0] as? String == name && labels.allSatisfy { (sample[1] as? [String: String])?[$0.key] == $0.value }
            }?[2] as? Double
        }

        static func packageRoot() -> URL {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }

        static func get(_ url: String) throws -> (status: Int, body: String) {
            let script = "import sys,urllib.request,urllib.error\ntry:\n r=urllib.request.urlopen(sys.argv[1],timeout=10); print(r.status); print(r.read().decode())\nexcept urllib.error.HTTPError as e:\n print(e.code); print(e.read().decode())"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, url]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let lines = text.split(separator: "\n", maxSplits: 1)
            return (Int(lines.first ?? "") ?? 0, lines.count > 1 ? lines[1].trimmingCharacters(in: .whitespacesAndNewlines) : "")
        }

        @Test("a codenoise job on two workers shows in the coordinator's and the workers' metrics; health and readiness answer")
        func metricsAfterAJob() async throws {
            let ports = try FarmHarness.freePorts(3)
            let http = "http://127.0.0.1:\(ports[0])"
            try await withFarm("metrics", coordinatorArguments: ["--http", "127.0.0.1:\(ports[0])"]) { farm in
                try farm.startWorker("w1", arguments: ["--metrics", "127.0.0.1:\(ports[1])"])
                try farm.startWorker("w2", arguments: ["--metrics", "127.0.0.1:\(ports[2])"])
                try await farm.waitForWorkers(2)
                let id = try farm.submit(farmPrompt, FarmHarness.smallCodenoiseJob)
                try await farm.waitForJob(id)
                #expect(try Self.get(http + "/healthz") == (200, "ok"))
                #expect(try Self.get(http + "/readyz") == (200, "ready"))
                #expect(try Self.get("http://127.0.0.1:\(ports[1])/readyz") == (200, "ready"))

                // The gauges are refreshed once a second.
                var coordinator: [String: [String: Any]] = [:]
                try await farm.waitUntil("the job to show as succeeded in the metrics", timeout: .seconds(10)) {
                    coordinator = try Self.families(http + "/metrics")
                    return Self.value(coordinator, "longshot_jobs", "longshot_jobs", ["state": "succeeded"]) == 1
                }
                #expect(Self.value(coordinator, "longshot_jobs", "longshot_jobs", ["state": "failed"]) == 0)
                #expect(Self.value(coordinator, "longshot_workers", "longshot_workers", ["state": "idle"]) == 2)
                #expect(Self.value(coordinator, "longshot_windows", "longshot_windows", ["state": "done"]) ?? 0 >= 2)
                #expect(Self.value(coordinator, "longshot_lease_grants", "longshot_lease_grants_total", ["kind": "group"]) == 2)
                #expect(Self.value(coordinator, "longshot_lease_grants", "longshot_lease_grants_total", ["kind": "segment"]) ?? 0 >= 1)
                #expect(Self.value(coordinator, "longshot_window_seconds", "longshot_window_seconds_count", ["kind": "group"]) == 2)
                #expect(Self.value(coordinator, "longshot_step_barrier_wait_seconds", "longshot_step_barrier_wait_seconds_count") ?? 0 >= 8)
                for what in ["results", "halos", "segments"] {
                    #expect(Self.value(coordinator, "longshot_bytes", "longshot_bytes_total", ["what": what]) ?? 0 > 0, "\(what)")
                }
                #expect(Self.value(coordinator, "longshot_database_seconds", "longshot_database_seconds_count") ?? 0 > 10)
                #expect(Self.value(coordinator, "longshot_requests", "longshot_requests_total", ["request": "submitJob", "outcome": "ok"]) == 1)

                let worker = try Self.families("http://127.0.0.1:\(ports[1])/metrics")
                #expect(Self.value(worker, "longshot_worker_step_seconds", "longshot_worker_step_seconds_count", ["engine": "procedural"]) == 8)
                #expect(Self.value(worker, "longshot_engine_load_seconds", "longshot_engine_load_seconds_count", ["engine": "procedural"]) == 1)
                #expect(Self.value(worker, "longshot_worker_leases", "longshot_worker_leases_total", ["outcome": "done", "kind": "group"]) == 1)

                // ops/grafana/longshot.json: valid, panels laid out without overlap, and every metric it
                // queries is one the farm exports.
                try Self.checkDashboard(exported: Set(coordinator.keys).union(worker.keys))
            }
        }

        static func checkDashboard(exported: Set<String>) throws {
            let data = try Data(contentsOf: packageRoot().appendingPathComponent("ops/grafana/longshot.json"))
            let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let panels = try #require(dashboard["panels"] as? [[String: Any]])
            #expect(panels.count >= 10 && Set(panels.compactMap { $0["id"] as? Int }).count == panels.count)
            var cells = Set<[Int]>()
            for panel in panels {
                let grid = try #require(panel["gridPos"] as? [String: Int])
                for x in grid["x"]!..<(grid["x"]! + grid["w"]!) {
                    for y in grid["y"]!..<(grid["y"]! + grid["h"]!) {
                        #expect(cells.insert([x, y]).inserted, "panel \(panel["title"] ?? "?") overlaps another at \(x),\(y)")
                    }
                }
                for target in try #require(panel["targets"] as? [[String: Any]]) {
                    let expr = try #require(target["expr"] as? String)
                    let names = expr.matches(of: /longshot_[a-z_]+/).map { String($0.output) }
                    #expect(!names.isEmpty, "\(expr)")
                    for name in names {
                        let family = ["_bucket", "_sum", "_count", "_total"].reduce(name) { n, suffix in
                            n.hasSuffix(suffix) ? String(n.dropLast(suffix.count)) : n
                        }
                        #expect(exported.contains(family), "the dashboard queries \(name), which the farm does not export")
                    }
                }
            }
        }

        @Test("a standby coordinator is healthy but not ready (503) until it takes over")
        func standbyIsNotReady() async throws {
            let ports = try FarmHarness.freePorts(1)
            try await withFarm("metrics-standby", standby: true) { farm in
                try farm.startCoordinator(slot: 1, waitFor: "standby:", extraArguments: ["--http", "127.0.0.1:\(ports[0])"])
                try await farm.waitUntil("the standby's HTTP server", timeout: .seconds(20)) {
                    (try? Self.get("http://127.0.0.1:\(ports[0])/healthz").status) == 200
                }
                let ready = try Self.get("http://127.0.0.1:\(ports[0])/readyz")
                #expect(ready.status == 503 && ready.body.hasPrefix("standby"), "\(ready)")
                farm.killCoordinator(slot: 0)
                try await farm.waitUntil("the standby to become ready", timeout: .seconds(20)) {
                    (try? Self.get("http://127.0.0.1:\(ports[0])/readyz").status) == 200
                }
            }
        }
    }
}
