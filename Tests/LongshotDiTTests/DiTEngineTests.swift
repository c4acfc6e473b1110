import Foundation
import LongshotDiT
import LongshotDiffusion
import LongshotTensor
import Testing

/// The `dit` engine on the fixture model, with a stand-in text encoder (no MiniLM needed).
@Suite struct DiTEngineTests {
    static let folder = DiTParityTests.folder

    /// Deterministic fake token states: one row per word of the prompt.
    static let fakeText: @Sendable (String) -> Tensor = { prompt in
        let words = max(prompt.split(separator: " ").count, 1)
        return Tensor(shape: [words, 384], scalars: (0..<(words * 384)).map { Float(sin(Double($0 + prompt.count))) * 0.3 })
    }

    func engine() throws -> DiTEngine { try DiTEngine(directory: Self.folder.path, textEncoder: Self.fakeText) }

    @Test func decoderMatchesTheTwin() throws {
        let engine = try engine()
        let file = try SafetensorsFile(path: Self.folder.appendingPathComponent("cases.safetensors").path)
        let c = engine.model.configuration
        let latents = try file.tensor("case1.latents")
        let video = try file.tensor("case1.video")
        let (frames, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3])
        let (height, width) = (h * c.spatialFactor, w * c.spatialFactor)
        #expect(video.shape == [frames * c.temporalFactor, height, width, 3])
        var worst: Float = 0
        latents.withUnsafeBufferPointer { p in
            for v in 0..<(frames * c.temporalFactor) {
                let rgb = engine.decoder.decode(
                    frame: p.baseAddress! + (v / c.temporalFactor) * c.inChannels * h * w, latentHeight: h, latentWidth: w,
                    sub: v % c.temporalFactor, width: width, height: height)
                let expected = video.scalars[(v * height * width * 3)..<((v + 1) * height * width * 3)]
                for (a, b) in zip(rgb, expected) { worst = max(worst, abs(a - b) / max(abs(b), 1e-2)) }
            }
        }
        #expect(worst < 1e-4)
    }

    @Test func windowModelPredictsWhatTheModelDoes() throws {
        let engine = try engine()
        let layout = engine.layout(width: 36, height: 20)
        #expect(layout.height == 6 && layout.width == 10)  // 20/4 -> 5 -> whole patches of 2: 6; 36/4 = 9 -> 10
        #expect(engine.modelName.hasSuffix("-untrained") && !engine.isTrained)
        let frames = 2
        let conditioning = WindowConditioning(
            shots: [Shot(start: 0, end: 1, prompt: "a red fox"), Shot(start: 1, end: 2, prompt: "snow falls on a quiet lake")],
            shotWeights: [[0.2, 0.8], [0.0, 1.0]], times: [0, 0.5])
        let window = WindowRequest(firstFrame: 0, frames: frames, layout: layout, conditioning: conditioning, seed: 1, fps: 8)
        let windowModel = try engine.prepare(window: window)
        let latents = (0..<(frames * layout.frameSize)).map { Float(cos(Double($0) * 0.37)) }
        let velocity = try windowModel.velocity(latents, t: 0.4)
        let direct = try engine.model.velocity(
            latents, frames: frames, height: layout.height, width: layout.width, t: 0.4,
            text: engine.model.textContext(Self.fakeText("snow falls on a quiet lake")))
        #expect(velocity == direct)
        #expect(try windowModel.velocity(latents, t: 0.4) == velocity)  // deterministic
    }

    @Test func decodeYieldsRGBFramesOfTheRequestedSize() throws {
        let engine = try engine()
        let layout = engine.layout(width: 36, height: 20)
        let latents = LatentVideo(
            layout: layout, firstFrame: 3, frames: 2, data: (0..<(2 * layout.frameSize)).map { Float(sin(Double($0))) })
        let frames = engine.decode(latents, videoFrames: 6..<10, width: 36, height: 20)
        #expect(frames.count == 4 && frames.allSatisfy { $0.count == 36 * 20 * 3 })
        #expect(frames[0] != frames[1])  // two sub-frames of one latent frame differ
    }
}

@Suite struct DiTRandomModelTests {
    @Test func randomModelFolderLoadsAndIsReproducible() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-dit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let config = DiTConfiguration(
            inChannels: 4, patchSize: [1, 2, 2], hiddenSize: 32, depth: 2, heads: 2, ropeAxes: [4, 6, 6],
            temporalFactor: 2, spatialFactor: 4)
        let (a, b) = (base.appendingPathComponent("a").path, base.appendingPathComponent("b").path)
        try DiTModel.writeRandomModel(config, seed: 7, to: a)
        try DiTModel.writeRandomModel(config, seed: 7, to: b)
        #expect(FileManager.default.contentsEqual(atPath: a + "/model.safetensors", andPath: b + "/model.safetensors"))
        let engine = try DiTEngine(directory: a, textEncoder: DiTEngineTests.fakeText)
        #expect(engine.model.configuration == config)
        #expect(!engine.isTrained)
        let layout = engine.layout(width: 16, height: 16)
        let latents = [Float](repeating: 0.5, count: 2 * layout.frameSize)
        let window = WindowRequest(
            firstFrame: 0, frames: 2, layout: layout,
            conditioning: WindowConditioning(shots: [Shot(start: 0, end: 1, prompt: "x")], shotWeights: [[1], [1]], times: [0, 1]),
            seed: 0, fps: 8)
        let velocity = try engine.prepare(window: window).velocity(latents, t: 0.5)
        #expect(velocity.count == latents.count && velocity.allSatisfy(\.isFinite))
    }
}
