import LongshotDiffusion
import LongshotJob
import LongshotNoise

/// Renders one window of a job alone: the `independent` fusion mode's unit of work, the same code in
/// `longshot render` and on a farm worker, so both produce the same bits.
public struct WindowRenderer: Sendable {
    public let plan: JobPlan
    public let denoiser: any Denoiser

    public init(plan: JobPlan, denoiser: any Denoiser) {
        self.plan = plan
        self.denoiser = denoiser
    }

    public init(spec: JobSpec, denoiser: any Denoiser) throws {
        self.init(plan: try JobPlan(spec: spec, layout: denoiser.layout(width: spec.width, height: spec.height)), denoiser: denoiser)
    }

    /// The job's initial noise for latent frames `frames`.
    public func noise(frames: Range<Int>) -> [Float] {
        let l = plan.layout
        return NoiseField(seed: plan.spec.seed).slice(
            firstFrame: frames.lowerBound, frames: frames.count, channels: l.channels, height: l.height, width: l.width)
    }

    /// Runs every step on window `index`; `progress` sees the step just finished and may throw to stop;
    /// `tap` gets the predictions it asks for (previews).
    public func render(window index: Int, tap: PredictionTap? = nil, progress: (Int) throws -> Void = { _ in }) throws -> [Float] {
        let window = plan.windows.windows[index]
        let model = try denoiser.prepare(window: plan.request(window: index))
        let schedule = FlowSchedule(steps: plan.spec.steps, shift: plan.spec.shift)
        return try sampleWindow(model, initial: noise(frames: window.frames), schedule: schedule, tap: tap, progress: progress)
    }
}
