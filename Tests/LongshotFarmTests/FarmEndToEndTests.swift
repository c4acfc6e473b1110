import Foundation
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    @Suite("end to end")
    struct EndToEnd {
        @Test("the farm's video has the frames of `longshot render --fusion independent` with 1, 2 and 4 workers")
        func sameFramesAsRenderWithOneTwoAndFourWorkers() async throws {
            let reference = try ReferenceRenders.video(FarmHarness.smallJob)
            try await withFarm("workers-1-2-4") { farm in
                var started = 0
                for count in [1, 2, 4] {
                    while started < count {
                        started += 1
                        try farm.startWorker("w\(started)")
                    }
                    let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                    let detail = try await farm.waitForJob(id)
                    #expect(detail.windows.count >= 4, "the job should have several windows: \(detail.windows.count)")
                    #expect(detail.windows.allSatisfy { $0.state == .done && $0.attempts == 1 }, "\(detail.text())")
                    let workers = Set(detail.windows.map(\.worker))
                    #expect(workers.isSubset(of: Set((1...count).map { "w\($0)" })), "\(workers)")
                    print("\(count) worker(s): windows rendered by \(workers.sorted())")
                    try farm.expectSameFrames(id, as: reference, name: "workers-\(count).mp4")
                }
            }
        }

        @Test("by default a finished job's window results are deleted once its video is stored (in the database); `rerun --windows 1` then renders every window, the frames stay identical")
        func rerunAfterPruning() async throws {
            // The procedural engine: its frames depend on the prompt and on every step, and they are
            // compared with `longshot render`'s, not only with the farm's own first video.
            let options = FarmHarness.smallJob
            let reference = try ReferenceRenders.video(options)
            try await withFarm("rerun-pruned", workers: 1) { farm in
                let id = try farm.submit(farmPrompt, options)
                let first = try await farm.waitForJob(id)
                let before = try farm.fetch(id, as: "before.mp4")
                let db = try PostgresConnection(farm.databaseURL)
                #expect(try db.query("SELECT count(*) FROM windows WHERE job_id = $1 AND result IS NOT NULL", [.text(id)]).first?.int(0) == 0)
                #expect(try db.query("SELECT sum(length(data))::int8 FROM job_videos WHERE job_id = $1", [.text(id)]).first?.int(0)
                    == Int(first.outputBytes))
                // The data directory's copy is only a cache: without it the video comes from the database.
                try FileManager.default.removeItem(atPath: first.outputPath)
                let fromDatabase = try farm.fetch(id, as: "from-db.mp4")
                #expect(try Data(contentsOf: fromDatabase) == Data(contentsOf: before))
                let rerun = try farm.cli(["rerun", id, "--windows", "1"])
                #expect(rerun.status == 0 && rerun.stdout.contains("\(first.windows.count) window(s)"), "\(rerun.stdout)")
                #expect(rerun.stdout.contains("--keep-window-results"), "\(rerun.stdout)")
                try await farm.waitForJob(id)
                let difference = try FarmHarness.frameDifference(before, try farm.fetch(id, as: "after.mp4"))
                #expect(difference == nil, "\(difference ?? "")")
                try farm.expectSameFrames(id, as: reference, name: "after-reference.mp4")
            }
        }

        @Test("`rerun --windows 1,2` re-renders just those windows (--keep-window-results); the frames stay identical")
        func rerunWindows() async throws {
            // The procedural engine, and `longshot render`'s frames as the reference (see rerunAfterPruning).
            let options = FarmHarness.smallJob
            let reference = try ReferenceRenders.video(options)
            try await withFarm("rerun", workers: 1, coordinatorArguments: ["--keep-window-results"]) { farm in
                let id = try farm.submit(farmPrompt, options)
                let first = try await farm.waitForJob(id)
                #expect(first.windows.allSatisfy { $0.attempts == 1 })
                let before = try farm.fetch(id, as: "before.mp4")

                // No worker while the rerun is set up: the reset windows stay pending for the check.
                farm.killWorker("w1")
                let rerun = try farm.cli(["rerun", id, "--windows", "1,2"])
                #expect(rerun.status == 0, "\(rerun.stderr)")
                #expect(rerun.stdout.contains("2 window(s)"), "\(rerun.stdout)")
                let reset = try await farm.detail(id)
                for w in reset.windows {
                    if [1, 2].contains(w.index) {
                        #expect(w.state == .pending && w.attempts == 0, "window \(w.index): \(w.state.word), \(w.attempts) attempts")
                    } else {
                        #expect(w.state == .done && w.attempts == 1, "window \(w.index): \(w.state.word), \(w.attempts) attempts")
                    }
                }

                try farm.startWorker("w2")
                let second = try await farm.waitForJob(id)
                for w in second.windows {
                    #expect(w.attempts == 1, "window \(w.index): \(w.attempts) attempts")
                    #expect(w.digest == first.windows[Int(w.index)].digest, "window \(w.index) changed")
                    #expect(w.worker == ([1, 2].contains(w.index) ? "w2" : "w1"), "window \(w.index) by \(w.worker)")
                }
                // Every lease ever granted: the rerun windows have their first and their new one, the others one.
                let rows = try farm.attemptRows(id)
                for w in second.windows {
                    #expect(rows[Int(w.index)] == ([1, 2].contains(w.index) ? 2 : 1), "window \(w.index): \(rows)")
                }
                let after = try farm.fetch(id, as: "after.mp4")
                let difference = try FarmHarness.frameDifference(before, after)
                #expect(difference == nil, "\(difference ?? "")")
                try farm.expectSameFrames(id, as: reference, name: "after-reference.mp4")
            }
        }

        static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

        /// Reported skipped (not passed) without root or iproute2; CI runs as root with iproute2 installed.
        @Test(
            "a worker in another network namespace joins over tcp:// and takes work",
            .enabled(if: getuid() == 0 && ip != nil, "needs root and iproute2's `ip` to make a network namespace"))
        func workerInAnotherNetworkNamespace() async throws {
            let ip = try #require(Self.ip)
            let reference = try ReferenceRenders.video(FarmHarness.smallJob)
            // A /30 and names no other run (another test process, say) is using right now.
            let namespaces = try Shell.run(ip, ["netns", "list"]).output
            let addresses = try Shell.run(ip, ["-o", "addr"]).output
            let links = try Shell.run(ip, ["-o", "link"]).output
            let free = (1...254).filter {
                !namespaces.contains("ls\($0) ") && !namespaces.contains("ls\($0)\n") && !addresses.contains("10.231.\($0).")
                    && !links.contains("lsh\($0)@") && !links.contains("lsh\($0):")
            }
            let x = try #require(free.randomElement(), "no free 10.231.X.0/30")
            let namespace = "ls\(x)"
            let (hostSide, nsSide) = ("lsh\(x)", "lsn\(x)")
            let (hostAddress, nsAddress) = ("10.231.\(x).1", "10.231.\(x).2")
            func sh(_ arguments: [String]) throws {
                let result = try Shell.run(ip, arguments)
                guard result.status == 0 else { throw HarnessError("ip \(arguments.joined(separator: " ")): \(result.output)") }
            }
            func cleanup() {
                _ = try? Shell.run(ip, ["netns", "del", namespace])
                _ = try? Shell.run(ip, ["link", "del", hostSide])
            }
            defer { cleanup() }
            try sh(["netns", "add", namespace])
            try sh(["link", "add", hostSide, "type", "veth", "peer", "name", nsSide, "netns", namespace])
            try sh(["addr", "add", "\(hostAddress)/30", "dev", hostSide])
            try sh(["link", "set", hostSide, "up"])
            try sh(["-n", namespace, "addr", "add", "\(nsAddress)/30", "dev", nsSide])
            try sh(["-n", namespace, "link", "set", nsSide, "up"])
            try sh(["-n", namespace, "link", "set", "lo", "up"])

            try await withFarm("netns", host: hostAddress) { farm in
                #expect(farm.address.hasPrefix("tcp://\(hostAddress):") || farm.address.hasPrefix("tls+tcp://\(hostAddress):"))
                try farm.startWorker("netns-worker", prefix: [ip, "netns", "exec", namespace])
                let status = try await farm.client().status()
                let worker = try #require(status.workers.first { $0.name == "netns-worker" })
                #expect(worker.state != .offline)
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                let detail = try await farm.waitForJob(id)
                #expect(detail.windows.allSatisfy { $0.worker == "netns-worker" && $0.state == .done }, "\(detail.text())")
                try farm.expectSameFrames(id, as: reference, name: "netns.mp4")
                // The worker's connection really came from the namespace's address (`ss` is iproute2's too).
                let sockets = try Shell.run(ip, ["netns", "exec", namespace, "ss", "-tn"])
                #expect(sockets.status == 0, "ss: \(sockets.output)")
                #expect(sockets.output.contains(nsAddress), "\(sockets.output)")
            }
        }
    }
}

/// Runs a system command to completion and returns its status and combined output (through a file).
enum Shell {
    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let path = NSTemporaryDirectory() + "longshot-shell-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }
}
