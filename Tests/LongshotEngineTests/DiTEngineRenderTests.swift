import Foundation
import LongshotDiT
import LongshotDiffusion
import LongshotEngines
import LongshotJob
import LongshotRender
import Testing

/// `--engine dit` through the catalogue and the render pipeline, on the committed fixture model
/// (Tests/Fixtures/DiT, untrained). Needs the MiniLM weights (`ops/install-deps.sh` installs them).
@Suite("dit engine through EngineCatalog and RenderPipeline")
struct DiTEngineRenderTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/DiT").path

    /// 2 s at 8 fps, 48x32: 16 video frames, 8 latent frames, windows of 6 overlapping by 2; 3 steps.
    static func spec(model: String) -> JobSpec {
        var spec = JobSpec.defaults
        spec.engine = "dit"
        spec.model = model
        spec.duration = 2
        spec.fps = 8
        (spec.width, spec.height) = (48, 32)
        spec.steps = 3
        spec.window = 6
        spec.overlap = 2
        spec.shots = [Shot(start: 0, end: 1, prompt: "a red fox in the snow"), Shot(start: 1, end: 2, prompt: "a quiet lake at dawn")]
        return spec
    }

    @Test("the same job twice gives the same latents, bit for bit; the CLI caveat says untrained")
    func deterministic() throws {
        let spec = Self.spec(model: Self.fixture)
        try spec.validate(knownEngines: EngineCatalog.names)
        var runs: [[Float]] = []
        for _ in 0..<2 {
            let denoiser = try EngineCatalog.denoiser(for: spec)
            #expect(denoiser.modelName == "dit:DiT-untrained")
            #expect(EngineCatalog.caveat(for: denoiser)?.contains("untrained") == true)
            let pipeline = try RenderPipeline(spec: spec, denoiser: denoiser)
            var clock = StageClock()
            runs.append(try pipeline.latents(clock: &clock))
        }
        #expect(runs[0].count == 8 * 4 * 8 * 12)  // 8 latent frames of 4 x (32/4) x (48/4)
        #expect(runs[0].allSatisfy { $0.isFinite })
        #expect(runs[0] == runs[1])
        var other = spec
        other.seed = 2
        var clock = StageClock()
        let reseeded = try RenderPipeline(spec: other, denoiser: try EngineCatalog.denoiser(for: other)).latents(clock: &clock)
        #expect(reseeded != runs[0])
    }

    @Test("a missing or incomplete model folder is one clear line")
    func badModelFolder() throws {
        func message(_ model: String) -> String {
            do {
                _ = try EngineCatalog.denoiser(for: Self.spec(model: model))
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message("").contains("--engine dit needs --model DIR"))
        let missing = message("/nonexistent/longshot-dit")
        #expect(missing.contains("/nonexistent/longshot-dit does not exist") && missing.contains("longshot dit init"), "\(missing)")
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-dit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(message(empty.path).contains("has no config.json"))
        try Data("{}".utf8).write(to: empty.appendingPathComponent("config.json"))
        #expect(message(empty.path).contains("has no model.safetensors"))
        try Data().write(to: empty.appendingPathComponent("model.safetensors"))
        let broken = message(empty.path)
        #expect(broken.hasPrefix("model: ") && !broken.contains("\n"), "\(broken)")
    }
}
