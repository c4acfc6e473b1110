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
