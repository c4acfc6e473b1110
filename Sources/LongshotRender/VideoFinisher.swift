import Foundation
import LongshotDiffusion
import LongshotJob
import LongshotVideo

/// Turns a job's fused latents into the MP4: decodes in chunks (each given only the latent frames it needs,
/// with the decoder's context) and encodes frame by frame, so memory holds one chunk of RGB frames at a time.
public struct VideoFinisher: Sendable {
    public let plan: JobPlan
    public let denoiser: any Denoiser
    public var chunk = 48

    public init(plan: JobPlan, denoiser: any Denoiser) {
        self.plan = plan
        self.denoiser = denoiser
    }

    /// Writes `output`; returns (decode seconds, encode seconds, bytes written).
    public func write(
        latents: [Float], to output: URL, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (decode: Double, encode: Double, bytes: Int) {
        let spec = plan.spec
        let video = LatentVideo(layout: plan.layout, firstFrame: 0, frames: plan.latentFrames, data: latents)
        let settings = VideoSettings(
            width: spec.width, height: spec.height, fps: spec.fps, crf: spec.crf,
            metadata: Provenance.tags(for: plan, model: denoiser.modelName))
        let encoder = try VideoEncoder(destination: output, settings: settings)
        var decodeTime = 0.0, encodeTime = 0.0
        var start = 0
        while start < spec.videoFrames {
            let end = min(start + chunk, spec.videoFrames)
            let t0 = Date()
            let needed = plan.layout.decodeLatents(forVideoFrames: start..<end, total: plan.latentFrames)
            let frames = try denoiser.decode(
                video.slice(needed), videoFrames: start..<end, width: spec.width, height: spec.height)
            let t1 = Date()
            for frame in frames { try encoder.append(rgb: frame) }
            decodeTime += t1.timeIntervalSince(t0)
            encodeTime += Date().timeIntervalSince(t1)
            start = end
            progress(start, spec.videoFrames)
        }
        let t2 = Date()
        try encoder.finish()
        encodeTime += Date().timeIntervalSince(t2)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0
        return (decodeTime, encodeTime, bytes)
    }
}
