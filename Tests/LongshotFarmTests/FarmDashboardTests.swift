import Foundation
import LongshotTestSupport
import LongshotVideo
import Testing

extension FarmTests {
    /// The web dashboard in a real browser: headless Chromium (Debian's `chromium`) driven over the DevTools
    /// protocol by ops/browser/dashboard_check.py against a real farm. Set LONGSHOT_SCREENSHOTS=DIR to keep
    /// the screenshots (docs/dashboard/ holds the ones from the last run written down).
    @Suite("dashboard")
    struct DashboardPages {
        @Test("sign in, the cluster, a job mid-render with live previews from the workers, a finished job's video, and Cancel clicked")
        func inChromium() async throws {
            let port = try FarmHarness.freePorts(1)[0]
            let url = "http://127.0.0.1:\(port)"
            try await withFarm("dashboard", coordinatorArguments: ["--http", "127.0.0.1:\(port)"]) { farm in
                for name in ["w1", "w2"] { try farm.startWorker(name, arguments: ["--preview-seconds", "0.3"]) }
                try await farm.waitForWorkers(2)
                let finished = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(finished)
                // Large enough windows that each takes many seconds: the job is still rendering when the
                // browser looks at it, and is cancelled from the page at the end.
                let running = try farm.submit(farmPrompt, [
                    "--duration", "6", "--fps", "12", "--size", "320x192", "--steps", "80", "--window", "8", "--overlap", "2",
                    "--fusion", "independent",
                ])
                let shots = try ScratchDirectory("longshot-dashboard-shots")
                let result = try LongshotProcess.run(
                    ["python3", Metrics.packageRoot().appendingPathComponent("ops/browser/dashboard_check.py").path, url,
                     "--token", farm.token, "--running", running, "--finished", finished, "--cancel", running, "--out", shots.url.path],
                    in: shots.url, fullEnvironment: ProcessInfo.processInfo.environment, timeout: .seconds(240),
                    program: URL(fileURLWithPath: "/usr/bin/env"))
                let lines = result.stdout.split(separator: "\n")
                #expect(result.status == 0, "dashboard check: \(lines.last ?? "") \(result.stderr)")
                let report = try #require(
                    lines.lazy.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.first,
                    "no report: \(result.stdout) \(result.stderr)")

                // Each page showed its job, and each screenshot has a picture in it (not one flat colour).
                let pages = try #require(report["shots"] as? [String: [String: Any]])
                #expect(Set(pages.keys) == ["cluster", "job-running", "job-finished"])
                for (name, shot) in pages {
                    #expect(shot["shows_job"] as? Bool == true, "\(name) does not show its job: \(shot["text"] ?? "")")
                    let spread = try Self.brightnessSpread(URL(fileURLWithPath: try #require(shot["path"] as? String)))
                    #expect(spread > 20, "\(name).png is nearly blank (brightness spread \(spread))")
                }
                #expect(report["workers"] as? [String] == ["w1", "w2"])
                #expect((report["jobs_listed"] as? [String]).map { Set($0) } == [finished, running])

                // Previews came from the workers (4 frames of 96x58 side by side) and were replaced live.
                let previews = try #require(report["previews"] as? [[Int]])
                #expect(!previews.isEmpty && previews.allSatisfy { $0 == [384, 58] }, "\(previews)")
                #expect(report["live_events"] as? String == "live")
                let steps = try #require(report["preview_steps"] as? [String: [String: Int]])
                #expect(steps["later"]!.contains { key, step in step > steps["first"]![key, default: .max] }, "\(steps)")

                // The finished 6 s video played in the page (its metadata and a frame after seeking loaded).
                let duration = try #require(report["video_duration"] as? Double)
                #expect(abs(duration - 6) < 0.2, "video duration \(duration)")

                // The click on Cancel cancelled the running job, as the CLI sees it.
                #expect(report["cancelled_state"] as? String == "cancelled")
                #expect(try farm.showJSON(running)["state"] as? String == "cancelled")

                if let keep = ProcessInfo.processInfo.environment["LONGSHOT_SCREENSHOTS"] {
                    try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
                    for name in pages.keys {
                        let target = URL(fileURLWithPath: keep).appendingPathComponent("\(name).png")
                        try? FileManager.default.removeItem(at: target)
                        try FileManager.default.copyItem(at: shots.url.appendingPathComponent("\(name).png"), to: target)
                    }
                }
            }
        }

        /// The difference between the 95th and the 5th percentile of a PNG's pixel brightness (decoded by
        /// FFmpeg): near 0 for a blank page.
        static func brightnessSpread(_ png: URL) throws -> Int {
            var values: [Int] = []
            _ = try VideoDecoder(url: png).forEachFrame { _, rgb in
                for i in stride(from: 0, to: rgb.count - 2, by: 3 * 7) {
                    values.append((Int(rgb[i]) * 299 + Int(rgb[i + 1]) * 587 + Int(rgb[i + 2]) * 114) / 1000)
                }
            }
            guard !values.isEmpty else { return 0 }
            values.sort()
            return values[values.count * 95 / 100] - values[values.count * 5 / 100]
        }
    }
}

extension FarmTests.DashboardPages {
    /// Runs `script` (Python, with `base` = the dashboard's URL and `session(token)` = a signed-in opener)
    /// and returns what it prints as JSON.
    static func api(_ base: String, _ script: String) throws -> [String: Any] {
        let prelude = """
            import json, sys, urllib.request, urllib.error, http.cookiejar
            base = sys.argv[1]
            def session(token):
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
                opener.open(urllib.request.Request(base + "/api/login", data=json.dumps({"token": token}).encode(),
                                                   headers={"X-Longshot": "1", "Content-Type": "application/json"}))
                return opener
            def status(opener, path, data=None, headers={}):
                try:
                    return opener.open(urllib.request.Request(base + path, data=data, headers=headers)).status
                except urllib.error.HTTPError as e:
                    return e.code

            """
        let scratch = try ScratchDirectory("longshot-dashboard-api")
        defer { scratch.remove() }
        let result = try LongshotProcess.run(
            ["python3", "-c", prelude + script, base], in: scratch.url, fullEnvironment: ProcessInfo.processInfo.environment,
            timeout: .seconds(60), program: URL(fileURLWithPath: "/usr/bin/env"))
        guard result.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("dashboard API script failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return object
    }

    @Test("a codenoise job's groups send previews; the API wants a client or admin session and the X-Longshot header to act")
    func codenoisePreviewsAndAccess() async throws {
        let port = try FarmHarness.freePorts(1)[0]
        let base = "http://127.0.0.1:\(port)"
        try await withFarm("dashboard-api", coordinatorArguments: ["--http", "127.0.0.1:\(port)"]) { farm in
            for name in ["w1", "w2"] { try farm.startWorker(name, arguments: ["--preview-seconds", "0.2"]) }
            try await farm.waitForWorkers(2)
            let job = try farm.submit(farmPrompt, FarmHarness.smallCodenoiseJob)
            try await farm.waitForJob(job)
            let seen = try Self.api(base, """
                client = session(sys.argv[2])
                detail = json.load(client.open(base + "/api/jobs/\(job)"))
                previews = [p for p in detail.get("previews", []) if p.get("group")]
                png = client.open(base + "/api/jobs/\(job)/previews/group/0").read()
                try:
                    session(sys.argv[3]); worker = 200
                except urllib.error.HTTPError as e:
                    worker = e.code
                print(json.dumps({
                    "groups": sorted(p.get("index", 0) for p in previews),
                    "steps": [p.get("step", 0) for p in previews],
                    "png": png[:8].hex(),
                    "anonymous": status(urllib.request.build_opener(), "/api/jobs"),
                    "worker_login": worker,
                    "cancel_without_header": status(client, "/api/jobs/\(job)/cancel", data=b""),
                    "unknown_preview": status(client, "/api/jobs/\(job)/previews/window/99"),
                }))
                """.replacingOccurrences(of: "sys.argv[2]", with: "'\(farm.clientToken)'")
                .replacingOccurrences(of: "sys.argv[3]", with: "'\(farm.workerToken)'"))
            #expect(seen["groups"] as? [Int] == [0, 1], "\(seen)")
            #expect((seen["steps"] as? [Int])?.allSatisfy { $0 >= 1 && $0 < 8 } == true, "\(seen)")
            #expect(seen["png"] as? String == "89504e470d0a1a0a")
            #expect(seen["anonymous"] as? Int == 401)
            #expect(seen["worker_login"] as? Int == 403)
            #expect(seen["cancel_without_header"] as? Int == 403)
            #expect(seen["unknown_preview"] as? Int == 404)
        }
    }
}
