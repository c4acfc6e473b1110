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
    /// What the engine recommends for parameters a job leaves unset (a model's trained window length, its
    /// timestep shift and guidance); `nil` where the engine has no preference.
    var defaults: EngineDefaults? { get }
    /// The latent grid is rounded up to a multiple of this many cells (a transformer's patch); 1 for most.
    var latentUnit: Int { get }
}

extension Denoiser {
    public var defaults: EngineDefaults? { nil }
    public var latentUnit: Int { 1 }
}

/// Parameters an engine recommends for jobs that do not set them.
public struct EngineDefaults: Sendable, Hashable, Codable {
    /// Window length and overlap in latent frames.
    public var window: Int?
    public var overlap: Int?
    public var shift: Double?
    public var guidance: Double?

    public init(window: Int? = nil, overlap: Int? = nil, shift: Double? = nil, guidance: Double? = nil) {
        self.window = window
        self.overlap = overlap
        self.shift = shift
        self.guidance = guidance
    }
}

/// Everything about one window that an engine may need.
public struct WindowRequest: Sendable {
    public var firstFrame: Int
    public var frames: Int
    public var layout: LatentLayout
    public var conditioning: WindowConditioning
    public var seed: UInt64
    public var fps: Double
    /// Classifier-free guidance scale; `nil`: the engine's default.
    public var guidance: Double?
    public var negativePrompt: String

    public init(
        firstFrame: Int, frames: Int, layout: LatentLayout, conditioning: WindowConditioning, seed: UInt64, fps: Double,
        guidance: Double? = nil, negativePrompt: String = ""
    ) {
        self.firstFrame = firstFrame
        self.frames = frames
        self.layout = layout
        self.conditioning = conditioning
        self.seed = seed
        self.fps = fps
        self.guidance = guidance
        self.negativePrompt = negativePrompt
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
