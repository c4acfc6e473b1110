/// The model a worker runs: given a window's noisy latents at time `t`, predict the rectified-flow velocity.
///
/// Engines differ (`procedural`, `dit`, `external`, `synthetic`); the sampler, the fusion and the farm only
/// see this protocol. Implementations must be deterministic: the same inputs give the same bits.
public protocol Denoiser: Sendable {
    /// A short name for provenance metadata, e.g. "procedural" or "dit:tiny-v1".
    var modelName: String { get }
    /// The latent grid for a video of `width` x `height` pixels.
    func layout(width: Int, height: Int) -> LatentLayout
    /// Prepares per-window state (text embeddings, scene renders) before the first step. Optional.
    func prepare(window: WindowRequest) throws -> any WindowModel
    /// Decodes latent frames to RGB frames: `videoFrames` frames, interleaved RGB bytes, `width` x `height`.
    /// Throws only where decoding can fail (an engine in another process).
    func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) throws -> [[UInt8]]
}

/// Everything about one window that an engine may need.
public struct WindowRequest: Sendable {
    public var firstFrame: Int
    public var frames: Int
    public var layout: LatentLayout
    public var conditioning: WindowConditioning
    public var seed: UInt64
    public var fps: Double

    public init(firstFrame: Int, frames: Int, layout: LatentLayout, conditioning: WindowConditioning, seed: UInt64, fps: Double) {
        self.firstFrame = firstFrame
        self.frames = frames
        self.layout = layout
        self.conditioning = conditioning
        self.seed = seed
        self.fps = fps
    }
}

/// A denoiser bound to one window: called once per step.
public protocol WindowModel: Sendable {
    /// The velocity (noise minus clean data) predicted for `latents` at flow time `t` in (0, 1].
    func velocity(_ latents: [Float], t: Float) throws -> [Float]
}

/// A window model whose prediction depends on a few global numbers (its "evidence") that are sums over
/// frames, so co-denoising can fuse them across windows as it fuses the overlaps: each window reports its
/// frames' evidence weighted so that every frame of the job counts once, the sums are added in plan order,
/// and every window predicts from the job-wide total. For the procedural engine the evidence is the
/// variants' log-likelihoods, and the fused prediction is the exact posterior mean of the whole video.
public protocol EvidenceSharingModel: WindowModel {
    /// The window's evidence at time `t`, frame `i` weighted by `frameWeights[i]`.
    func evidence(_ latents: [Float], t: Float, frameWeights: [Float]) -> [Double]
    /// The velocity given the job-wide evidence.
    func velocity(_ latents: [Float], t: Float, evidence: [Double]) throws -> [Float]
}
