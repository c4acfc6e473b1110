import Dispatch
import LongshotDiffusion

/// The exact posterior-mean denoiser of a procedural scene distribution.
///
/// For each shot, the prompt picks the background and objects; the seed draws `variants` scene variants
/// (positions, phases, velocities) that are continuous functions of absolute time. The data distribution is
/// uniform over the variants' renders, so the denoiser's prediction is exact:
/// E[x_0 | x_t] = sum_k softmax_k(-||x_t - (1-t) r_k||^2 / (2 t^2)) r_k.
/// Latents are RGB at 1/`spatialFactor` of the video's resolution and 1/`temporalFactor` of its frame rate,
/// quantised to 8 bits (the distribution is over the quantised renders, so the mean stays exact).
public struct ProceduralEngine: Denoiser {
    public let variants: Int
    public let spatialFactor: Int
    public let temporalFactor: Int

    public init(variants: Int = 6, spatialFactor: Int = 4, temporalFactor: Int = 2) {
        precondition(variants >= 1 && spatialFactor >= 1 && temporalFactor >= 1)
        self.variants = variants
        self.spatialFactor = spatialFactor
        self.temporalFactor = temporalFactor
    }

    public var modelName: String { "procedural-k\(variants)" }

    public func layout(width: Int, height: Int) -> LatentLayout {
        LatentLayout(
            channels: 3, height: (height + spatialFactor - 1) / spatialFactor,
            width: (width + spatialFactor - 1) / spatialFactor, temporalFactor: temporalFactor,
            spatialFactor: spatialFactor)
    }

    /// The scene each shot's prompt describes.
    public func scenes(for shots: [Shot]) -> [SceneSpec] { shots.map { PromptParser.parse($0.prompt) } }

    public func prepare(window: WindowRequest) throws -> any WindowModel {
        let layout = window.layout
        let aspect = Double(layout.width) / Double(layout.height)
        let specs = scenes(for: window.conditioning.shots)
        let sceneVariants = specs.enumerated().map { shot, spec in
            (0..<variants).map { SceneVariant(spec: spec, variant: $0, shot: shot, seed: window.seed, aspect: aspect) }
        }
        let n = layout.frameSize * window.frames
        var renders = [[UInt8]]()
        renders.reserveCapacity(variants)
        var scratch = [Float](repeating: 0, count: layout.frameSize)
        var blend = [Float](repeating: 0, count: layout.frameSize)
        for k in 0..<variants {
            var q = [UInt8](repeating: 0, count: n)
            for local in 0..<window.frames {
                let time = window.conditioning.times[local]
                blend.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                for (shot, weight) in window.conditioning.shotWeights[local].enumerated() where weight > 0 {
                    scratch.withUnsafeMutableBufferPointer {
                        sceneVariants[shot][k].render(time: time, width: layout.width, height: layout.height, into: $0)
                    }
                    for j in 0..<blend.count { blend[j] += weight * scratch[j] }
                }
                let base = local * layout.frameSize
                for j in 0..<blend.count { q[base + j] = UInt8((min(max(blend[j], 0), 1) * 255).rounded()) }
            }
            renders.append(q)
        }
        return ProceduralWindowModel(renders: renders, frameSize: layout.frameSize)
    }

    public func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) -> [[UInt8]] {
        RGBLatentDecoder(layout: latents.layout).decode(latents, videoFrames: videoFrames, width: width, height: height)
    }
}
