import Dispatch
import Foundation
import LongshotDiffusion
import LongshotJob
import LongshotNoise
import LongshotProcedural

/// The whole job in one process: plan, noise, denoise (codenoise or independent), fuse, decode, encode.
public struct RenderPipeline: Sendable {
    public let spec: JobSpec
    public let denoiser: any Denoiser
    public let plan: JobPlan

    public init(spec: JobSpec, denoiser: any Denoiser) throws {
        self.spec = spec
        self.denoiser = denoiser
        self.plan = try JobPlan(spec: spec, layout: denoiser.layout(width: spec.width, height: spec.height))
    }

    /// The job's initial noise for latent frames `frames`.
    public func noise(frames: Range<Int>) -> [Float] {
        WindowRenderer(plan: plan, denoiser: denoiser).noise(frames: frames)
    }

    /// Renders the fused latents of the whole job.
    public func latents(
        clock: inout StageClock, progress: @escaping @Sendable (RenderProgress) -> Void = { _ in }
    ) throws -> [Float] {
        let windows = plan.windows.windows
        let fuser = LatentFuser(plan: plan.windows, layout: plan.layout)
        let schedule = FlowSchedule(steps: spec.steps, shift: spec.shift)
        switch spec.fusion {
        case .codenoise:
            let models = try clock.measure(.prepare) { try prepareModels(progress: progress) }
            let initial = noise(frames: 0..<plan.latentFrames)
            // Both modes count window steps, so the bar means the same whichever runs.
            let count = windows.count
            return try clock.measure(.engine) {
                try CoDenoiser(fuser: fuser, schedule: schedule).run(initial: initial, models: models) { step in
                    progress(RenderProgress(stage: .engine, done: step * count, total: spec.steps * count, unit: "window steps"))
                }
            }
        case .independent:
            let counter = Counter()
            let renderer = WindowRenderer(plan: plan, denoiser: denoiser)
            let results = try clock.measure(.engine) {
                try concurrentMap(windows.count) { i in
                    let out = try renderer.render(window: i)
                    progress(RenderProgress(
                        stage: .engine, done: counter.increment() * spec.steps, total: windows.count * spec.steps, unit: "window steps"))
                    return out
                }
            }
            return clock.measure(.fusion) { fuser.fuse(results) }
        }
    }

    /// Renders the job to `output`; `fusedLatents` sees the denoised latents before they are decoded.
    public func render(
        to output: URL, progress: @escaping @Sendable (RenderProgress) -> Void = { _ in },
        fusedLatents: ([Float]) throws -> Void = { _ in }
    ) throws -> RenderSummary {
        var clock = StageClock()
        let fused = try latents(clock: &clock, progress: progress)
        try fusedLatents(fused)
        let written = try VideoFinisher(plan: plan, denoiser: denoiser).write(latents: fused, to: output) { done, total in
            progress(RenderProgress(stage: .encode, done: done, total: total, unit: "frames"))
        }
        clock.add(.decode, written.decode)
        clock.add(.encode, written.encode)
        let ignored = (denoiser as? ProceduralEngine).map { engine in
            engine.scenes(for: spec.shots).flatMap(\.ignoredWords)
        } ?? []
        return RenderSummary(
            videoFrames: spec.videoFrames, latentFrames: plan.latentFrames, windows: plan.windows.windows.count,
            seconds: clock.seconds, total: clock.total, ignoredWords: ignored, outputBytes: written.bytes)
    }

    private func prepareModels(progress: @escaping @Sendable (RenderProgress) -> Void) throws -> [any WindowModel] {
        let count = plan.windows.windows.count
        let counter = Counter()
        return try concurrentMap(count) { i in
            let model = try denoiser.prepare(window: plan.request(window: i))
            progress(RenderProgress(stage: .prepare, done: counter.increment(), total: count, unit: "windows"))
            return model
        }
    }
}
