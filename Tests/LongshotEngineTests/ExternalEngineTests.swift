import Foundation
import LongshotDiffusion
import LongshotEngines
import LongshotExternal
import LongshotJob
import LongshotRender
import LongshotTestSupport
import Testing

/// `--engine external` with real engine processes: ops/external/numpy_engine.py (python3 + numpy) and its
/// misbehaving modes.
@Suite("external engines over the pipe protocol")
struct ExternalEngineTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ops/external/numpy_engine.py").path
    static let command = "python3 '\(script)'"

    /// 2 s at 8 fps, 64x48: 16 video frames, 4 latent frames of 3 x 6 x 8; windows of 2 overlapping by 1.
    static func spec(_ command: String = command) -> JobSpec {
        var spec = JobSpec.defaults
        spec.engine = "external"
        spec.model = command
        spec.duration = 2
        spec.fps = 8
        (spec.width, spec.height) = (64, 48)
        spec.steps = 4
        spec.window = 2
        spec.overlap = 1
        spec.shots = [Shot(start: 0, end: 1, prompt: "a red fox"), Shot(start: 1, end: 2, prompt: "a quiet lake")]
        return spec
    }

    static func window(_ engine: ExternalEngine) -> WindowRequest {
        let layout = engine.layout(width: 64, height: 48)
        return WindowRequest(
            firstFrame: 0, frames: 2, layout: layout,
            conditioning: WindowConditioning(shots: [Shot(start: 0, end: 1, prompt: "x")], shotWeights: [[1], [1]], times: [0, 0.5]),
            seed: 1, fps: 8)
    }

    static func start(_ arguments: String = "", callTimeout: Double = 20) throws -> ExternalEngine {
        try ExternalEngine(
            command: command + " " + arguments, width: 64, height: 48, timeouts: .init(startup: 30, call: callTimeout))
    }

    @Test("a short clip through the numpy engine: same latents twice, the engine's colours, decoded to a video")
    func renders() throws {
        let spec = Self.spec()
        try spec.validate(knownEngines: EngineCatalog.names)
        var runs: [[Float]] = []
        for _ in 0..<2 {
            let denoiser = try EngineCatalog.denoiser(for: spec)
            #expect(denoiser.modelName == "external:numpy-colour-v1")
            let layout = denoiser.layout(width: 64, height: 48)
            #expect(layout == LatentLayout(channels: 3, height: 6, width: 8, temporalFactor: 4, spatialFactor: 8))
            var clock = StageClock()
            runs.append(try RenderPipeline(spec: spec, denoiser: denoiser).latents(clock: &clock))
        }
        #expect(runs[0].count == 4 * 3 * 6 * 8)
        #expect(runs[0] == runs[1])
        #expect(runs[0].allSatisfy { $0.isFinite && abs($0) <= 1.25 }, "the flow ends on the engine's colour fields (colour <= 0.8, tilt <= 0.4)")
        // Decoding goes through the engine too.
        let scratch = try ScratchDirectory("longshot-external")
        defer { scratch.remove() }
        let summary = try RenderPipeline(spec: spec, denoiser: try EngineCatalog.denoiser(for: spec))
            .render(to: scratch.file("clip.mp4"))
        #expect(summary.videoFrames == 16 && summary.outputBytes > 0)
    }

    @Test("an engine that exits in the middle of a call: the error names the exit and carries its stderr tail")
    func crash() throws {
        let engine = try Self.start("--misbehave crash --at velocity")
        let model = try engine.prepare(window: Self.window(engine))
        let latents = [Float](repeating: 0.5, count: 2 * 3 * 6 * 8)
        do {
            _ = try model.velocity(latents, t: 0.5)
            Issue.record("no error")
        } catch let error as ExternalEngineError {
            #expect(error.kind == .crashed)
            #expect(error.description.contains("exit 3"), "\(error)")
            #expect(error.stderrTail.last == "numpy engine: fatal error line 4 during velocity", "\(error)")
            #expect(error.description.contains("velocity call"))
        }
        // The engine is gone: every later call fails at once, with the same error.
        #expect(throws: ExternalEngineError.self) { _ = try engine.prepare(window: Self.window(engine)) }
    }

    @Test("an engine that hangs: a timeout error within the limit, and the engine is killed")
    func hang() throws {
        let engine = try Self.start("--misbehave hang --at velocity", callTimeout: 2)
        let model = try engine.prepare(window: Self.window(engine))
        let started = Date()
        do {
            _ = try model.velocity([Float](repeating: 0, count: 2 * 3 * 6 * 8), t: 0.5)
            Issue.record("no error")
        } catch let error as ExternalEngineError {
            let elapsed = Date().timeIntervalSince(started)
            #expect(error.kind == .timeout)
            #expect(elapsed >= 2 && elapsed < 6, "took \(elapsed) s")
            #expect(error.description.contains("no reply within 2.0 s"), "\(error)")
            #expect(error.stderrTail.contains("numpy engine: hanging in velocity"), "\(error)")
        }
    }

    @Test("an engine that writes something other than frames: a protocol error")
    func garbage() throws {
        do {
            _ = try Self.start("--misbehave garbage --at hello")
            Issue.record("no error")
        } catch let error as ExternalEngineError {
            #expect(error.kind == .protocolViolation)
            #expect(error.description.contains("protocol error") && error.description.contains("Hell"), "\(error)")
        }
    }

    @Test("a refused call is an error, and the engine goes on; a missing command or program is one clear error")
    func refusals() throws {
        let engine = try Self.start()
        var window = Self.window(engine)
        window.conditioning.shotWeights = [[1], [1, 5]]  // a second weight for a shot that does not exist
        #expect(throws: ExternalEngineError.self) { _ = try engine.prepare(window: window) }
        let model = try engine.prepare(window: Self.window(engine))
        #expect(try model.velocity([Float](repeating: 0, count: 2 * 3 * 6 * 8), t: 1).count == 2 * 3 * 6 * 8)

        func message(_ command: String) -> String {
            do {
                _ = try EngineCatalog.denoiser(for: Self.spec(command))
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message("").contains("--engine external needs --engine-cmd"))
        let missing = message("/nonexistent/engine --serve")
        #expect(missing.contains("crashed") && missing.contains("exit 127") && missing.contains("not found"), "\(missing)")
    }
}
