import Foundation
import LongshotClient
import LongshotJob
import LongshotProtocol
import LongshotWire
import LongshotTestSupport
import Testing

extension FarmTests {
    /// Defects found by trying the farm as an attacker and a new user would (issue 10), each with the test
    /// that failed before its fix.
    @Suite("hardening")
    struct Hardening {
        @Test("the token followed by 256 NUL bytes is refused (the length difference is compared in full)")
        func paddedTokenIsRefused() async throws {
            try await withFarm("padded-token") { farm in
                let padded = farm.token + String(repeating: "\u{0}", count: 256)
                do {
                    _ = try await farm.client(token: padded).status()
                    Issue.record("a padded token was accepted")
                } catch let error as FarmClientError {
                    #expect(error.kind == .rejected(.unauthenticated), "\(error)")
                }
                #expect(!constantTimeEqual(Array("ab".utf8), Array("ab\u{0}".utf8)))
                #expect(!constantTimeEqual(Array("ab".utf8), Array(("ab" + String(repeating: "\u{0}", count: 256)).utf8)))
                #expect(constantTimeEqual(Array("ab".utf8), Array("ab".utf8)))
                _ = try await farm.client().status()
            }
        }

        @Test("a job with overlap 0 (touching windows) succeeds in the farm and in render; the coordinator keeps serving")
        func overlapZero() async throws {
            let options = ["--duration", "2", "--fps", "12", "--size", "64x48", "--steps", "4", "--window", "8", "--overlap", "0",
                           "--fusion", "independent", "--quality", "0"]
            let reference = try ReferenceRenders.video(options)
            try await withFarm("overlap-zero", workers: 1) { farm in
                let id = try farm.submit(farmPrompt, options)
                let detail = try await farm.waitForJob(id)
                #expect(detail.windows.count >= 2, "\(detail.text())")
                try farm.expectSameFrames(id, as: reference, name: "overlap0.mp4")
                #expect(farm.coordinator?.isRunning == true)
                // The end state is logged (and published: it was lost when the output's write already set it).
                try await farm.waitUntil("the coordinator to log the success", timeout: .seconds(5), poll: .milliseconds(100)) {
                    farm.log("coordinator.1.log").contains("job \(id) succeeded")
                }
            }
        }

        @Test("a NUL in a prompt is one line naming the field, at the CLI and on the wire (not PostgreSQL's error)")
        func nulInPrompt() async throws {
            try await withFarm("nul-prompt", workers: 1) { farm in
                var spec = JobSpec(prompt: "a red\u{0}ball").wire
                spec.engine = "procedural"
                do {
                    _ = try await farm.client().submit(spec)
                    Issue.record("a NUL prompt was accepted")
                } catch let error as FarmClientError {
                    #expect(error.kind == .rejected(.invalidArgument), "\(error)")
                    #expect(error.message == "prompt: the prompt contains a NUL character (U+0000)", "\(error.message)")
                }
                var negative = JobSpec(prompt: "a red ball").wire
                negative.negativePrompt = "blurry\u{0}"
                await #expect(throws: FarmClientError.self) { _ = try await farm.client().submit(negative) }
                _ = try await farm.client().status()
            }
        }

        @Test("100,000 shots, a 5 KB prompt and a 4K ten-minute job are refused at submit with the numbers; the coordinator keeps serving")
        func limits() async throws {
            try await withFarm("limits", workers: 1) { farm in
                let client = try farm.client()
                var many = JobSpec(prompt: "x").wire
                many.prompt = ""
                many.storyboard = (0..<100_000).map { i in .with { $0.startSeconds = Double(i) * 0.006; $0.endSeconds = Double(i + 1) * 0.006; $0.prompt = "a ball" } }
                many.durationSeconds = 600
                await #expect(throws: FarmClientError.self) { _ = try await client.submit(many) }
                do { _ = try await client.submit(many) } catch let error as FarmClientError {
                    #expect(error.message == "storyboard: 100000 shots is above the maximum of 1000", "\(error.message)")
                }
                let long = try farm.cli(["submit", String(repeating: "a", count: 5000), "--duration", "6"])
                #expect(long.status != 0 && long.stderr.contains("5000 bytes, above the maximum of 4096"), "\(long.stderr)")
                var huge = JobSpec(prompt: "a ball").wire
                (huge.durationSeconds, huge.width, huge.height) = (600, 3840, 2160)
                do {
                    _ = try await client.submit(huge)
                    Issue.record("a 4K ten-minute job was accepted")
                } catch let error as FarmClientError {
                    #expect(error.message.hasPrefix("window: a window's latents are 142 MiB"), "\(error.message)")
                }
                let status = try await client.status()
                #expect(status.workers.count == 1 && status.workers[0].state != .offline)
            }
        }

        @Test("a worker stopped with SIGTERM finishes and exits 0")
        func sigtermExitsZero() async throws {
            try await withFarm("sigterm") { farm in
                let worker = try farm.startWorker("w1")
                kill(worker.pid, SIGTERM)
                try await farm.waitUntil("the worker to exit", timeout: .seconds(30), poll: .milliseconds(100)) { !worker.isRunning }
                #expect(worker.exitStatus == 0, "exit \(worker.exitStatus): \(farm.log(worker.log.lastPathComponent))")
                #expect(farm.log(worker.log.lastPathComponent).contains("stopped"))
            }
        }

        @Test("a lossy (default quality) job gives the same MP4 bytes from render, twice, and from the farm with 1 and 2 workers on one core and two, in both fusion modes (x264's threads followed the core count)")
        func bitIdenticalMP4s() async throws {
            let shape = ["--duration", "6", "--fps", "24", "--size", "160x96", "--steps", "6", "--window", "8", "--overlap", "2"]
            for fusion in ["codenoise", "independent"] {
                let options = shape + ["--fusion", fusion]
                let reference = try Data(contentsOf: try ReferenceRenders.video(options))
                let scratch = try ScratchDirectory("longshot-bits")
                defer { scratch.remove() }
                let again = scratch.file("again.mp4")
                let render = try LongshotProcess.run(["render", farmPrompt] + options + ["-o", again.path], in: scratch.url)
                #expect(render.status == 0, "\(render.stderr)")
                #expect(try Data(contentsOf: again) == reference, "render twice, \(fusion)")
                for workers in [1, 2] {
                    try await withFarm("bits-\(fusion)-\(workers)") { farm in
                        // The first worker sees one core, as on a smaller machine; the second all of them.
                        try farm.startWorker("w1", prefix: ["/usr/bin/taskset", "-c", "0"])
                        if workers == 2 { try farm.startWorker("w2") }
                        try await farm.waitForWorkers(workers)
                        let id = try farm.submit(farmPrompt, options)
                        try await farm.waitForJob(id)
                        let video = try Data(contentsOf: try farm.fetch(id, as: "farm.mp4"))
                        #expect(video == reference, "\(fusion), \(workers) worker(s): \(video.count) bytes vs \(reference.count)")
                    }
                }
            }
        }

        @Test("a worker whose coordinator answers nothing for --watchdog-seconds restarts in place (same pid) and registers again")
        func watchdogRestartsInPlace() async throws {
            try await withFarm("watchdog") { farm in
                let worker = try farm.startWorker("w1", arguments: ["--watchdog-seconds", "3"])
                let coordinator = try #require(farm.coordinator)
                // A coordinator that holds its connections but never answers: what a wedged socket looks like.
                kill(coordinator.pid, SIGSTOP)
                try await farm.waitUntil("the watchdog to fire", timeout: .seconds(30)) {
                    farm.log("worker-w1.log").contains("watchdog: no answer from the coordinator")
                }
                kill(coordinator.pid, SIGCONT)
                try await farm.waitUntil("the restarted worker to register", timeout: .seconds(60)) {
                    farm.log("worker-w1.log").components(separatedBy: "registered as").count >= 3
                }
                #expect(kill(worker.pid, 0) == 0, "the same process (pid \(worker.pid)) runs on")
                let detail = try await farm.client().status()
                #expect(detail.workers.contains { $0.name == "w1" && $0.state != .offline }, "\(detail.workers)")
                // The test process can still run commands (its watch on the restarted child is intact).
                let workers = try farm.cli(["workers", "--json"], timeout: .seconds(60))
                #expect(workers.status == 0 && workers.stdout.contains("\"w1\""), "\(workers.stdout)")
            }
        }

        /// Root only: it mounts a 512 KiB tmpfs over the coordinator's data directory.
        @Test("a full data directory holds a finishing job (not failed) with one line; once space is freed it succeeds with render's frames",
              .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
        func fullDataDirectory() async throws {
            let options = ["--duration", "2", "--fps", "12", "--size", "64x48", "--steps", "4", "--window", "8", "--overlap", "2",
                           "--fusion", "independent", "--quality", "0"]
            let reference = try ReferenceRenders.video(options)
            try await withFarm("disk-full", workers: 1) { farm in
                let data = farm.dataDirectory.path
                #expect(try Self.shell("/bin/mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", data) == 0)
                defer { _ = try? Self.shell("/bin/umount", "-l", data) }
                // dd stops with ENOSPC once the filesystem is full.
                _ = try Self.shell("/bin/dd", "if=/dev/zero", "of=\(data)/filler", "bs=4k")
                let id = try farm.submit(farmPrompt, options)
                try await farm.waitUntil("the coordinator to report the full disk", timeout: .seconds(90), poll: .milliseconds(200)) {
                    farm.log("coordinator.1.log").contains("job \(id): out of disk space while finishing")
                }
                let held = try await farm.detail(id)
                #expect([.stitching, .encoding].contains(held.state), "\(held.state.word): \(held.error)")
                let logs = try farm.cli(["logs", id])
                #expect(logs.stdout.contains("out of disk space while finishing (data directory \(data): no space left on device)"), "\(logs.stdout)")
                try FileManager.default.removeItem(atPath: data + "/filler")
                try await farm.waitForJob(id, timeout: .seconds(60))
                try farm.expectSameFrames(id, as: reference, name: "after-full.mp4")
                let told = farm.log("coordinator.1.log").components(separatedBy: "out of disk space while finishing").count - 1
                #expect(told == 1, "the full disk is told once, not on every retry (\(told))")
            }
        }

        /// Runs a program to completion and returns its exit status.
        static func shell(_ executable: String, _ arguments: String...) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        @Test("a coordinator whose data directory cannot be written stops at start with one line naming it")
        func unwritableDataDirectory() throws {
            let scratch = try ScratchDirectory("longshot-datadir")
            defer { scratch.remove() }
            let file = scratch.file("a-file")
            try Data("x".utf8).write(to: file)
            let result = try LongshotProcess.run(
                [
                    "coordinator", "--listen", "tcp://127.0.0.1:0", "--data-dir", file.path + "/data", "--database",
                    "postgresql:///nowhere?host=/nonexistent", "--worker-token", FarmHarness.randomToken(),
                    "--client-token", FarmHarness.randomToken(),
                ], in: scratch.url, timeout: .seconds(30))
            #expect(result.status != 0 && result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("data-dir: cannot create \(file.path)/data"), "\(result.stderr)")
        }
    }
}
