import LongshotDiffusion
import LongshotJob
import LongshotProtocol

extension JobSpec {
    /// The job as it travels on the wire. A single-shot job without a storyboard file sends `prompt`;
    /// otherwise the shots go in `storyboard`.
    public var wire: Longshot_V1_JobSpec {
        var w = Longshot_V1_JobSpec()
        if shots.count == 1, storyboardSource == nil {
            w.prompt = shots[0].prompt
        } else {
            w.storyboard = shots.map { shot in
                var s = Longshot_V1_Shot()
                s.startSeconds = shot.start
                s.endSeconds = shot.end
                s.prompt = shot.prompt
                return s
            }
        }
        w.durationSeconds = duration
        w.fps = UInt32(clamping: fps)
        w.width = UInt32(clamping: width)
        w.height = UInt32(clamping: height)
        w.seed = seed
        w.steps = UInt32(clamping: steps)
        w.window = UInt32(clamping: window)
        w.overlap = UInt32(clamping: overlap)
        w.fusion = fusion.rawValue
        w.engine = engine
        w.shift = shift
        w.quality = Int32(clamping: crf)
        w.model = model
        if let guidance { w.guidance = guidance }
        w.negativePrompt = negativePrompt
        return w
    }

    /// Reads a job from the wire. Unset (zero) numeric fields take the defaults; any other value is kept,
    /// so a negative or non-finite duration or shift reaches `validate(knownEngines:)`, which the result
    /// still needs, and is refused there instead of silently becoming the default.
    /// `engineDefaults` (what the job's engine recommends) fill window, overlap, shift and guidance when the
    /// wire leaves them unset (window and shift 0, overlap and guidance absent).
    public init(wire w: Longshot_V1_JobSpec, engineDefaults: EngineDefaults? = nil) throws(JobSpecError) {
        self = .defaults
        duration = w.durationSeconds != 0 ? w.durationSeconds : (w.storyboard.last?.endSeconds ?? JobSpec.defaults.duration)
        if w.fps > 0 { fps = Int(w.fps) }
        if w.width > 0 { width = Int(w.width) }
        if w.height > 0 { height = Int(w.height) }
        seed = w.seed
        if w.steps > 0 { steps = Int(w.steps) }
        window = w.window > 0 ? Int(w.window) : engineDefaults?.window ?? JobSpec.defaults.window
        overlap = w.hasOverlap ? Int(w.overlap) : engineDefaults?.overlap.map { min($0, max(window - 1, 0)) } ?? JobSpec.defaults.overlap
        if !w.fusion.isEmpty {
            guard let mode = FusionMode(rawValue: w.fusion) else {
                throw JobSpecError("fusion", "unknown mode '\(w.fusion)'; use codenoise or independent")
            }
            fusion = mode
        }
        if !w.engine.isEmpty { engine = w.engine }
        shift = w.shift != 0 ? w.shift : engineDefaults?.shift ?? JobSpec.defaults.shift
        crf = Int(w.quality)
        model = w.model
        guidance = w.hasGuidance ? w.guidance : engineDefaults?.guidance
        negativePrompt = w.negativePrompt
        if !w.storyboard.isEmpty {
            guard w.prompt.isEmpty else { throw JobSpecError("prompt", "give either a prompt or a storyboard, not both") }
            shots = w.storyboard.map { Shot(start: $0.startSeconds, end: $0.endSeconds, prompt: $0.prompt) }
            storyboardSource = "storyboard"
        } else {
            guard !w.prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw JobSpecError("prompt", "missing: give a prompt or a storyboard")
            }
            shots = [Shot(start: 0, end: duration, prompt: w.prompt)]
        }
    }
}
