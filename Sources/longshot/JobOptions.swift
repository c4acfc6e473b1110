import ArgumentParser
import Foundation
import LongshotDiffusion
import LongshotEngines
import LongshotJob

/// The options that describe a job, shared by `render` and `submit`.
struct JobOptions: ParsableArguments {
    @Argument(help: "What to render, e.g. \"a red ball bouncing on a blue background\".")
    var prompt: String?

    @Option(help: "A storyboard file (YAML or JSON) of timed shots {start, end, prompt} instead of a prompt.")
    var storyboard: String?

    @Option(help: "Duration in seconds (at most \(Int(JobSpec.maximumDuration))); default 60, or the storyboard's end.")
    var duration: Double?

    @Option(help: "Frames per second.")
    var fps: Int = JobSpec.defaults.fps

    @Option(help: "Frame size WIDTHxHEIGHT (even numbers).")
    var size: String = "\(JobSpec.defaults.width)x\(JobSpec.defaults.height)"

    @Option(help: "Random seed: the same job and seed give the same video.")
    var seed: UInt64 = JobSpec.defaults.seed

    @Option(help: "Denoising steps.")
    var steps: Int = JobSpec.defaults.steps

    @Option(help: "Window length in latent frames (default \(JobSpec.defaults.window), or the model's trained length).")
    var window: Int?

    @Option(help: "Minimum overlap between neighbouring windows, in latent frames (default \(JobSpec.defaults.overlap), or the model's).")
    var overlap: Int?

    @Option(help: "How windows are fused: codenoise (overlaps fused after every step; the default) or independent (each window alone, cross-faded at the end).")
    var fusion: String?

    @Option(help: "The denoiser engine: one built in (\(EngineEntry.Kind.allCases.map(\.rawValue).joined(separator: ", "))), a name from --engines, or for submit one the farm's workers offer (`longshot status` lists them).")
    var engine: String = JobSpec.defaults.engine

    @Option(help: "Engine model: a directory for dit, the command for external, milliseconds per step for synthetic.")
    var model: String = ""

    @Option(name: .customLong("engine-cmd"), help: "The engine's command for --engine external (the same as --model); see docs/external-engine.md.")
    var engineCommand: String?

    @Option(help: "Timestep shift of the sampler (> 1 spends more steps at high noise; default \(JobSpec.defaults.shift), or the model's).")
    var shift: Double?

    @Option(help: "Classifier-free guidance scale, 1-30 (1: none; default: the model's, e.g. 5 for Wan, 3 for LTX-Video).")
    var guidance: Double?

    @Option(name: .customLong("negative-prompt"), help: "What the guidance steers away from, e.g. \"blurry, low quality\".")
    var negativePrompt: String = ""

    @Option(help: "Output quality as x264's CRF: 0 lossless, 18 visually lossless, 51 worst.")
    var quality: Int = JobSpec.defaults.crf

    /// Builds and validates the job; every problem is one line naming it. `defaultFusion` applies when
    /// `--fusion` is not given (both `render` and `submit` co-denoise); `engineDefaults` (what the engine
    /// recommends) fill window, overlap, shift and guidance where they are not given. `validate: false`
    /// gives the draft an engine is started from.
    func spec(
        knownEngines: [String], defaultFusion: FusionMode = JobSpec.defaults.fusion, engineDefaults: EngineDefaults? = nil,
        validate: Bool = true
    ) throws(JobSpecError) -> JobSpec {
        var spec = JobSpec.defaults
        let dims = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2 else { throw JobSpecError("size", "'\(size)' is not WIDTHxHEIGHT, e.g. 320x192") }
        (spec.width, spec.height) = (dims[0], dims[1])
        guard let mode = fusion.map(FusionMode.init(rawValue:)) ?? defaultFusion else {
            throw JobSpecError("fusion", "unknown mode '\(fusion ?? "")'; use codenoise or independent")
        }
        spec.fusion = mode
        spec.fps = fps
        spec.seed = seed
        spec.steps = steps
        spec.window = window ?? engineDefaults?.window ?? JobSpec.defaults.window
        spec.overlap = overlap ?? engineDefaults?.overlap.map { min($0, max(spec.window - 1, 0)) } ?? JobSpec.defaults.overlap
        spec.engine = engine
        spec.model = model
        if let engineCommand {
            guard engine == "external" else { throw JobSpecError("engine-cmd", "only with --engine external") }
            guard model.isEmpty || model == engineCommand else {
                throw JobSpecError("engine-cmd", "give the command with --engine-cmd or --model, not both")
            }
            spec.model = engineCommand
        }
        spec.shift = shift ?? engineDefaults?.shift ?? JobSpec.defaults.shift
        spec.guidance = guidance ?? engineDefaults?.guidance
        spec.negativePrompt = negativePrompt
        spec.crf = quality
        switch (prompt, storyboard) {
        case (.some, .some):
            throw JobSpecError("prompt", "give either a prompt or --storyboard, not both")
        case (nil, nil):
            throw JobSpecError("prompt", "missing: give a prompt or --storyboard FILE")
        case (let text?, nil):
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw JobSpecError("prompt", "is empty")
            }
            spec.duration = duration ?? JobSpec.defaults.duration
            spec.shots = [Shot(start: 0, end: spec.duration, prompt: text)]
        case (nil, let path?):
            spec.shots = try Storyboard.load(URL(fileURLWithPath: path))
            spec.duration = duration ?? spec.shots.last?.end ?? JobSpec.defaults.duration
            spec.storyboardSource = path
        }
        if validate { try spec.validate(knownEngines: knownEngines) }
        return spec
    }
}
