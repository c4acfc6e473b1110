import LongshotDiffusion

/// One request: what to render and how. Everything the output depends on is here, so the video is a pure
/// function of a `JobSpec` (and the model).
public struct JobSpec: Sendable, Hashable, Codable {
    /// The shots; a plain prompt is one shot covering the whole duration.
    public var shots: [Shot]
    public var duration: Double
    public var fps: Int
    public var width: Int
    public var height: Int
    public var seed: UInt64
    public var steps: Int
    /// Window length in latent frames.
    public var window: Int
    /// Minimum overlap between neighbouring windows, in latent frames.
    public var overlap: Int
    public var fusion: FusionMode
    public var engine: String
    /// Timestep shift of the flow schedule.
    public var shift: Double
    /// x264 constant rate factor of the output.
    public var crf: Int
    /// Engine-specific model reference (a directory for `dit`, empty for built-in engines).
    public var model: String
    /// Set when the job came from a storyboard file (kept for provenance).
    public var storyboardSource: String?
    /// Classifier-free guidance scale (1 is none); `nil`: the engine's default. Ignored by engines
    /// without a text model (procedural, synthetic).
    public var guidance: Double?
    /// What the guidance steers away from; empty for none.
    public var negativePrompt: String = ""

    public static let defaults = JobSpec(
        shots: [], duration: 60, fps: 24, width: 320, height: 192, seed: 1, steps: 24, window: 24, overlap: 8,
        fusion: .codenoise, engine: "procedural", shift: 3.0, crf: 20, model: "", storyboardSource: nil)

    public init(
        shots: [Shot], duration: Double, fps: Int, width: Int, height: Int, seed: UInt64, steps: Int, window: Int,
        overlap: Int, fusion: FusionMode, engine: String, shift: Double, crf: Int, model: String,
        storyboardSource: String?
    ) {
        self.shots = shots
        self.duration = duration
        self.fps = fps
        self.width = width
        self.height = height
        self.seed = seed
        self.steps = steps
        self.window = window
        self.overlap = overlap
        self.fusion = fusion
        self.engine = engine
        self.shift = shift
        self.crf = crf
        self.model = model
        self.storyboardSource = storyboardSource
    }

    enum CodingKeys: String, CodingKey {
        case shots, duration, fps, width, height, seed, steps, window, overlap, fusion, engine, shift, crf, model
        case storyboardSource, guidance, negativePrompt
    }

    /// Decodes a stored spec; `guidance` and `negativePrompt` may be absent (specs stored before they existed).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            shots: try c.decode([Shot].self, forKey: .shots), duration: try c.decode(Double.self, forKey: .duration),
            fps: try c.decode(Int.self, forKey: .fps), width: try c.decode(Int.self, forKey: .width),
            height: try c.decode(Int.self, forKey: .height), seed: try c.decode(UInt64.self, forKey: .seed),
            steps: try c.decode(Int.self, forKey: .steps), window: try c.decode(Int.self, forKey: .window),
            overlap: try c.decode(Int.self, forKey: .overlap), fusion: try c.decode(FusionMode.self, forKey: .fusion),
            engine: try c.decode(String.self, forKey: .engine), shift: try c.decode(Double.self, forKey: .shift),
            crf: try c.decode(Int.self, forKey: .crf), model: try c.decode(String.self, forKey: .model),
            storyboardSource: try c.decodeIfPresent(String.self, forKey: .storyboardSource))
        guidance = try c.decodeIfPresent(Double.self, forKey: .guidance)
        negativePrompt = try c.decodeIfPresent(String.self, forKey: .negativePrompt) ?? ""
    }

    /// A single-prompt job with the defaults for everything else.
    public init(prompt: String) {
        self = .defaults
        self.shots = [Shot(start: 0, end: JobSpec.defaults.duration, prompt: prompt)]
    }

    /// Number of video frames: duration x fps.
    public var videoFrames: Int { Int((duration * Double(fps)).rounded()) }

    /// The text the provenance hash covers: the prompt, or every shot with its times.
    public var promptText: String {
        if shots.count == 1, storyboardSource == nil { return shots[0].prompt }
        return shots.map { "\($0.start)-\($0.end): \($0.prompt)" }.joined(separator: "\n")
    }
}
