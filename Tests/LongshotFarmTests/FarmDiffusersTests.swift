import Foundation
import LongshotProtocol
import LongshotTestSupport
import Testing

extension FarmTests {
    /// A diffusers model in the farm: a tiny random-weight Wan 2.1 pipeline (ops/diffusers/make_tiny.py)
    /// named in the workers' engine file, co-denoised across two workers. The coordinator runs without
    /// Python on its PATH and without the engine file: it plans from the workers' reports, relays the step
    /// exchange and joins the encoded segments.
    @Suite("diffusers models", .serialized)
    struct Diffusers {
        static let available = TinyPipelines.python != nil

        /// 60 s at 8 fps, 32x32: 480 frames, 121 latent frames of 16x4x4 in windows of the model's 21 latent
        /// frames (its default), 2 steps, lossless.
        static let job = ["--duration", "60", "--fps", "8", "--size", "32x32", "--steps", "2", "--quality", "0", "--seed", "3"]

        static func engineFile(in directory: URL) throws -> URL {
            let file = directory.appendingPathComponent("engines.yaml")
            let model = try TinyPipelines.folder().appendingPathComponent("wan").path
            try "engines:\n  wan:\n    kind: diffusers\n    model: \"\(model)\"\n    device: cpu\n".write(to: file, atomically: true, encoding: .utf8)
            return file
        }

        @Test("a 60 s tiny-Wan job on 2 workers with codenoise equals render; each worker loads the model once; the coordinator runs no engine",
              .enabled(if: available, Comment(rawValue: TinyPipelines.reason)))
        func tinyWanOnTwoWorkers() async throws {
            let scratch = try ScratchDirectory("longshot-diffusers-ref")
            defer { scratch.remove() }
            let engines = try Self.engineFile(in: scratch.url)
            let reference = scratch.file("reference.mp4")
            let render = try LongshotProcess.run(
                ["render", farmPrompt, "--engines", engines.path, "--engine", "wan"] + Self.job + ["-o", reference.path],
                in: scratch.url, environment: TinyPipelines.environment, timeout: .seconds(600))
            try #require(render.status == 0, "\(render.stderr)")
            // No Python for the coordinator: it must not need one.
            let noPython = ["PATH": "/nonexistent", "LONGSHOT_PYTHON": "/nonexistent/python"]
            try await withFarm("diffusers-wan", coordinatorEnvironment: noPython) { farm in
                for name in ["w1", "w2"] {
                    try farm.startWorker(
                        name, arguments: ["--engines", engines.path], environment: TinyPipelines.environment, timeout: .seconds(300))
                }
                try await farm.waitForWorkers(2)
                // Bad input at submit: an engine nobody offers, guidance out of range, a path as the model.
                let unknown = try farm.cli(["submit", farmPrompt, "--engine", "wan-14b"] + Self.job)
                #expect(unknown.status != 0 && unknown.stderrLines.count == 1, "\(unknown.stderr)")
                #expect(unknown.stderr.contains("engine: no live worker offers engine 'wan-14b'; the live workers offer wan"), "\(unknown.stderr)")
                let guidance = try farm.cli(["submit", farmPrompt, "--engine", "wan", "--guidance", "31"] + Self.job)
                #expect(guidance.status != 0 && guidance.stderrLines.count == 1, "\(guidance.stderr)")
                #expect(guidance.stderr.contains("guidance: 31.0 is out of range 1.0-30.0"), "\(guidance.stderr)")
                let path = try farm.cli(["submit", farmPrompt, "--engine", "wan", "--model", "/models/other"] + Self.job)
                #expect(path.status != 0 && path.stderr.contains("model: engine wan serves diffusers:wan@"), "\(path.stderr)")

                let id = try farm.submit(farmPrompt, ["--engine", "wan"] + Self.job)
                let detail = try await farm.waitForJob(id, timeout: .seconds(600))
                #expect(detail.groups.count == 2, "\(detail.groups)")
                #expect(Set(detail.groups.map(\.worker)) == ["w1", "w2"], "both workers co-denoised: \(detail.groups)")
                #expect(detail.spec.window == 21, "the model's window by default: \(detail.spec.window)")
                #expect(detail.spec.hasGuidance && detail.spec.guidance == 5, "the model's guidance by default")
                try farm.expectSameFrames(id, as: reference, name: "wan.mp4")
                let show = try farm.cli(["show", id]).stdout
                #expect(show.contains("guidance  5"), "\(show)")
                #expect(show.contains("render    wan (diffusers:wan@"), "\(show)")

                // Each worker loaded the model once, for every window, group and segment it ran.
                let status = try await farm.client().status()
                for worker in status.workers {
                    let wan = try #require(worker.engines.first { $0.name == "wan" }, "\(worker)")
                    #expect(wan.loads == 1 && wan.loaded, "\(worker.name): \(wan)")
                    #expect(wan.residentBytes > 100_000_000, "\(worker.name) measures the engine process: \(wan.residentBytes)")
                }
                let json = try farm.cli(["status", "--json"])
                #expect(json.stdout.contains("\"loads\" : 1") || json.stdout.contains("\"loads\":1"), "\(json.stdout)")
            }
        }

        @Test("a worker whose engine file names a corrupt model folder stops at start with one line naming the engine and the error",
              .enabled(if: available, Comment(rawValue: TinyPipelines.reason)))
        func corruptModelStopsTheWorker() throws {
            let scratch = try ScratchDirectory("longshot-diffusers-corrupt")
            defer { scratch.remove() }
            let copy = scratch.file("wan")
            try FileManager.default.copyItem(at: try TinyPipelines.folder().appendingPathComponent("wan"), to: copy)
            try Data("not a safetensors file".utf8).write(to: copy.appendingPathComponent("vae/diffusion_pytorch_model.safetensors"))
            let engines = scratch.file("engines.yaml")
            try "engines:\n  wan:\n    kind: diffusers\n    model: \"\(copy.path)\"\n".write(to: engines, atomically: true, encoding: .utf8)
            let result = try LongshotProcess.run(
                ["worker", "--coordinator", "tcp://127.0.0.1:9", "--token", "t", "--engines", engines.path], in: scratch.url,
                environment: TinyPipelines.environment, timeout: .seconds(300))
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("engine wan (diffusers) does not load: model: diffusers engine for \(copy.path): "), "\(result.stderr)")
            #expect(result.stderr.contains("cannot load"), "\(result.stderr)")
        }
    }
}
