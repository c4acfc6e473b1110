import Foundation
import LongshotDiffusion
import LongshotTensor
import LongshotTextEncoder

/// The `dit` engine: a ``DiTModel`` conditioned on MiniLM token states, with the ``DiTDecoder`` that turns
/// its latents into frames. Implements the farm's `Denoiser`.
///
/// Conditioning: a window is conditioned on the shot with the largest mean weight over its frames (ties go
/// to the earlier shot); transitions between shots come from the fusion of overlapping windows.
public struct DiTEngine: Denoiser {
    public let model: DiTModel
    public let decoder: DiTDecoder
    /// The model folder's name, for provenance.
    public let name: String
    private let encodeText: @Sendable (String) -> Tensor

    /// Loads `config.json` and `model.safetensors` (DiT and decoder) from `directory`, and the MiniLM
    /// text encoder through ``MiniLMLocator``.
    /// - Throws: ``DiTError``, ``SafetensorsError`` or ``TextEncoderError`` with one line saying what is wrong.
    public init(directory: String) throws {
        let encoder = try MiniLMEncoder()
        try self.init(directory: directory) { encoder.encode($0).tokenStates }
    }

    /// Loads the model with a caller-supplied text encoder (`prompt -> tokens x textDim` states).
    public init(directory: String, textEncoder: @escaping @Sendable (String) -> Tensor) throws {
        let url = URL(fileURLWithPath: directory)
        let config = try DiTConfiguration(contentsOf: url.appendingPathComponent("config.json").path)
        let file = try SafetensorsFile(path: url.appendingPathComponent("model.safetensors").path)
        model = try DiTModel(configuration: config, weights: file)
        decoder = try DiTDecoder(configuration: config, weights: file)
        name = url.standardizedFileURL.lastPathComponent
        encodeText = textEncoder
    }

    /// Whether the weights were trained; untrained weights render noise.
    public var isTrained: Bool { model.configuration.trained }

    public var modelName: String { "dit:\(name)" + (isTrained ? "" : "-untrained") }

    /// Latent grid: the frame size divided by the decoder's factor, rounded up to whole patches.
    public func layout(width: Int, height: Int) -> LatentLayout {
        let c = model.configuration
        func cells(_ pixels: Int, _ patch: Int) -> Int {
            let unit = c.spatialFactor * patch
            return (pixels + unit - 1) / unit * patch
        }
        return LatentLayout(
            channels: c.inChannels, height: cells(height, c.patchSize[1]), width: cells(width, c.patchSize[2]),
            temporalFactor: c.temporalFactor, spatialFactor: c.spatialFactor)
    }

    public var latentUnit: Int { model.configuration.patchSize[1] }

    public func prepare(window: WindowRequest) throws -> any WindowModel {
        let shots = window.conditioning.shots
        var best = 0, bestWeight = -Float.infinity
        for s in shots.indices {
            let weights = window.conditioning.shotWeights.map { s < $0.count ? $0[s] : 0 }
            let mean = weights.reduce(0, +) / Float(max(weights.count, 1))
            if mean > bestWeight {
                best = s
                bestWeight = mean
            }
        }
        let prompt = shots.isEmpty ? "" : shots[best].prompt
        return DiTWindowModel(model: model, text: model.textContext(encodeText(prompt)), layout: window.layout)
    }

    public func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) -> [[UInt8]] {
        let layout = latents.layout, tf = decoder.temporalFactor
        return latents.data.withUnsafeBufferPointer { data in
            videoFrames.map { v in
                let latent = min(max(v / tf, latents.firstFrame), latents.firstFrame + latents.frames - 1)
                let frame = data.baseAddress! + (latent - latents.firstFrame) * layout.frameSize
                let rgb = decoder.decode(
                    frame: frame, latentHeight: layout.height, latentWidth: layout.width, sub: v % tf,
                    width: width, height: height)
                return rgb.map { UInt8(min(max(($0 + 1) * 127.5, 0), 255).rounded()) }
            }
        }
    }
}

/// A ``DiTEngine`` bound to one window: its text context is projected once, then reused for every step.
struct DiTWindowModel: WindowModel {
    let model: DiTModel
    let text: DiTTextContext
    let layout: LatentLayout

    func velocity(_ latents: [Float], t: Float) throws -> [Float] {
        guard latents.count % layout.frameSize == 0 else {
            throw DiTError.invalidInput("\(latents.count) scalars are not whole \(layout.channels)x\(layout.height)x\(layout.width) frames")
        }
        return try model.velocity(
            latents, frames: latents.count / layout.frameSize, height: layout.height, width: layout.width, t: t, text: text)
    }
}
