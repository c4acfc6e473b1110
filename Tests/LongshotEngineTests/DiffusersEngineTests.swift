import Foundation
import LongshotTestSupport
import Testing

/// The `diffusers` engine (ops/diffusers/longshot_diffusers.py) through `longshot render`, against the
/// real diffusers pipelines it serves: tiny Wan 2.1 and LTX-Video pipelines with random weights, built
/// offline by ops/diffusers/make_tiny.py from the real diffusers and transformers classes.
@Suite("the diffusers engine", .serialized)
struct DiffusersEngineTests {
    static let available = TinyPipelines.python != nil
    static let parity = TinyPipelines.root.appendingPathComponent("ops/diffusers/parity.py").path

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-diffusers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("one window through render equals the pipeline's own loop from the same noise (1e-4 relative)",
          .enabled(if: available, Comment(rawValue: TinyPipelines.reason)), arguments: ["wan", "ltx", "hunyuan"])
    func parityWithPipeline(kind: String) throws {
        let model = try TinyPipelines.folder().appendingPathComponent(kind).path
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompt = "a red ball bouncing on a blue background"
        let result = try LongshotProcess.run(
            ["render", prompt, "--engine", "diffusers", "--model", model, "--duration", "2", "--fps", "8", "--size", "32x32",
             "--steps", "3", "--shift", "3", "--guidance", "4.5", "--negative-prompt", "blurry, static", "--seed", "5",
             "-o", "out.mp4", "--save-latents", "latents.safetensors"],
            in: dir, environment: TinyPipelines.environment, timeout: .seconds(300))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("windows 1"), "a one-window job: \(result.stdout)")
        let check = try TinyPipelines.runPython(TinyPipelines.python!, [
            Self.parity, model, dir.appendingPathComponent("latents.safetensors").path, "--prompt", prompt,
            "--negative-prompt", "blurry, static", "--steps", "3", "--shift", "3", "--guidance", "4.5", "--fps", "8",
            "--width", "32", "--height", "32", "--tolerance", "1e-4",
        ])
        #expect(check.code == 0, "parity: \(check.stdout) \(check.stderr.suffix(1500))")
        let line = check.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let rel = try #require(json["max_rel"] as? Double)
        #expect(rel <= 1e-4)
        #expect((json["scale"] as? Double ?? 0) > 0.5, "the latents are not all zero")
    }

    @Test("a storyboard over several co-denoised windows renders the same bits twice, with the guidance in its tags",
          .enabled(if: available, Comment(rawValue: TinyPipelines.reason)))
    func multiWindowDeterministic() throws {
        let model = try TinyPipelines.folder().appendingPathComponent("wan").path
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = dir.appendingPathComponent("board.yaml")
        try """
            shots:
              - {start: 0, end: 2, prompt: "a red ball bouncing"}
              - {start: 2, end: 4, prompt: "three yellow squares moving left"}
            """.write(to: board, atomically: true, encoding: .utf8)
        var outputs: [Data] = []
        for name in ["a.mp4", "b.mp4"] {
            let result = try LongshotProcess.run(
                ["render", "--storyboard", board.path, "--engine", "diffusers", "--model", model, "--fps", "8",
                 "--size", "32x32", "--steps", "2", "--window", "4", "--overlap", "2", "--quality", "0", "-o", name],
                in: dir, environment: TinyPipelines.environment, timeout: .seconds(300))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("frames 32 (latent 9), windows 4"), "\(result.stdout)")
            outputs.append(try Data(contentsOf: dir.appendingPathComponent(name)))
        }
        #expect(outputs[0] == outputs[1], "the same job gave different bytes")
        let video = try DecodedVideo(dir.appendingPathComponent("a.mp4"))
        #expect(video.frames.count == 32)
        #expect(video.info.metadata["longshot_engine"] == "diffusers")
        #expect(video.info.metadata["longshot_guidance"] == "5.0", "the tiny Wan's default guidance: \(video.info.metadata)")
        #expect(video.info.metadata["longshot_model"]?.hasPrefix("diffusers:wan@") == true)
    }

    @Test("a corrupt model folder is one line naming the folder and the loader's error",
          .enabled(if: available, Comment(rawValue: TinyPipelines.reason)))
    func corruptModel() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("wan")
        try FileManager.default.copyItem(at: try TinyPipelines.folder().appendingPathComponent("wan"), to: copy)
        let weights = copy.appendingPathComponent("transformer/diffusion_pytorch_model.safetensors")
        try Data("not a safetensors file".utf8).write(to: weights)
        let result = try LongshotProcess.run(
            ["render", "a red ball", "--engine", "diffusers", "--model", copy.path, "--duration", "1", "--fps", "8",
             "--size", "32x32", "--steps", "1", "-o", "out.mp4"],
            in: dir, environment: TinyPipelines.environment, timeout: .seconds(300))
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1, "one line: \(result.stderr)")
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("longshot: error: model: diffusers engine for \(copy.path): "), "\(line)")
        #expect(line.contains("cannot load"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.mp4").path))
    }

    @Test("bad input before any model loads: no model_index.json, guidance out of range, a missing folder")
    func badInput() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (["--model", empty.path], "longshot: error: model: \(empty.path) has no model_index.json"),
            (["--model", dir.appendingPathComponent("nowhere").path], "does not exist"),
            (["--model", empty.path, "--guidance", "40"], "longshot: error: guidance: 40.0 is out of range 1.0-30.0"),
            (["--model", empty.path, "--guidance", "0.5"], "longshot: error: guidance: 0.5 is out of range"),
            ([], "--engine diffusers needs --model DIR"),
        ]
        for (flags, expected) in cases {
            let result = try LongshotProcess.run(
                ["render", "a red ball", "--engine", "diffusers", "--duration", "1", "-o", "out.mp4"] + flags, in: dir,
                environment: ["LONGSHOT_PYTHON": "/nonexistent/python"], timeout: .seconds(60))
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "\(flags): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(flags): \(result.stderr)")
        }
    }
}
