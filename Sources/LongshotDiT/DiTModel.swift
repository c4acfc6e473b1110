import Foundation
import LongshotTensor

/// A latent video diffusion transformer on OpenBLAS: 3D patchify, AdaLN-Zero blocks with self-attention
/// under 3D RoPE, cross-attention to text tokens and a GELU MLP, then unpatchify. It predicts the
/// rectified-flow velocity of a window of latents. `ops/dit/twin.py` is its PyTorch twin.
///
/// Immutable after loading: one instance serves concurrent windows.
public struct DiTModel: Sendable {
    /// The model's dimensions.
    public let configuration: DiTConfiguration
    let weights: DiTWeights

    /// Loads weights (F32, F16 or BF16) under the twin's names, checking every name and shape.
    /// - Throws: ``SafetensorsError`` naming the tensor at fault, ``DiTError`` for an inconsistent configuration.
    public init(configuration: DiTConfiguration, weights file: SafetensorsFile) throws {
        if let problem = configuration.validationProblem {
            throw DiTError.invalidConfiguration(path: file.path, reason: problem)
        }
        self.configuration = configuration
        self.weights = try DiTWeights(file: file, config: configuration)
    }

    /// Loads `config.json` and `model.safetensors` from a model folder.
    public init(directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        let config = try DiTConfiguration(contentsOf: url.appendingPathComponent("config.json").path)
        try self.init(configuration: config, weights: SafetensorsFile(path: url.appendingPathComponent("model.safetensors").path))
    }

    /// The predicted velocity for `latents` at flow time `t`.
    ///
    /// - Parameters:
    ///   - latents: `frames x inChannels x height x width` scalars (a ``LatentVideo``'s layout); `frames`,
    ///     `height`, `width` divisible by the patch size.
    ///   - t: flow time in [0, 1] (1 is pure noise).
    ///   - text: from ``textContext(_:)``.
    /// - Returns: scalars in the layout of `latents`.
    /// - Throws: ``DiTError/invalidInput(_:)`` when the grid does not fit the model.
    public func velocity(_ latents: [Float], frames: Int, height: Int, width: Int, t: Float, text: DiTTextContext) throws -> [Float] {
        let c = configuration
        let (pt, ph, pw) = (c.patchSize[0], c.patchSize[1], c.patchSize[2])
        guard latents.count == frames * c.inChannels * height * width else {
            throw DiTError.invalidInput("\(latents.count) scalars for \(frames)x\(c.inChannels)x\(height)x\(width) latents")
        }
        guard frames % pt == 0, height % ph == 0, width % pw == 0, frames > 0, height > 0, width > 0 else {
            throw DiTError.invalidInput("grid \(frames)x\(height)x\(width) is not divisible by patch \(c.patchSize)")
        }
        let grid = PatchGrid(frames: frames / pt, height: height / ph, width: width / pw, patch: (pt, ph, pw), channels: c.inChannels)
        let workspace = DiTWorkspace(configuration: c, tokens: grid.tokens)
        let rope = RotaryEmbedding(
            frames: grid.frames, height: grid.height, width: grid.width,
            axisDims: (c.ropeAxes[0], c.ropeAxes[1], c.ropeAxes[2]), theta: c.ropeTheta)
        let conditioning = timeConditioning(t)
        var output = [Float](repeating: 0, count: latents.count)
        latents.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                forward(
                    input.baseAddress!, grid: grid, conditioning: conditioning, text: text, rope: rope,
                    workspace: workspace, output: out.baseAddress!)
            }
        }
        return output
    }

    /// `SiLU(time_embed(sinusoidal(t)))`: the input of every modulation layer.
    func timeConditioning(_ t: Float) -> [Float] {
        let d = configuration.hiddenSize
        let frequencies = TimestepEmbedding.sinusoidal(t, dim: configuration.frequencyDim)
        var hidden = [Float](repeating: 0, count: d), temb = [Float](repeating: 0, count: d)
        frequencies.withUnsafeBufferPointer { f in
            hidden.withUnsafeMutableBufferPointer { h in
                weights.time1.apply(f.baseAddress!, rows: 1, into: h.baseAddress!)
                Activation.silu(h.baseAddress!, count: d)
                temb.withUnsafeMutableBufferPointer { e in
                    weights.time2.apply(h.baseAddress!, rows: 1, into: e.baseAddress!)
                    Activation.silu(e.baseAddress!, count: d)
                }
            }
        }
        return temb
    }
}
