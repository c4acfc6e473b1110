import Foundation
import LongshotDiffusion
import LongshotJob
import LongshotVideo

/// Turns a job's fused latents into the MP4 the way the farm does: the video is cut into decode segments
/// (``JobPlan/decodeSegments``); each is decoded from the latent frames it needs and encoded alone, then
/// the segments are joined by stream copy. Memory holds one segment of RGB frames at a time.
public struct VideoFinisher: Sendable {
    public let plan: JobPlan
    public let denoiser: any Denoiser

    public init(plan: JobPlan, denoiser: any Denoiser) {
        self.plan = plan
        self.denoiser = denoiser
    }

    /// Writes `output`; returns (decode seconds, encode seconds, bytes written).
    public func write(
        latents: [Float], to output: URL, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (decode: Double, encode: Double, bytes: Int) {
        let video = LatentVideo(layout: plan.layout, firstFrame: 0, frames: plan.latentFrames, data: latents)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-segments-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var decodeTime = 0.0, encodeTime = 0.0
        var files: [URL] = []
        for segment in plan.decodeSegments {
            let file = scratch.appendingPathComponent("segment-\(segment.index).mp4")
            let times = try SegmentEncoder(plan: plan, denoiser: denoiser)
                .encode(segment, latents: video.slice(segment.latentFrames), to: file)
            decodeTime += times.decode
            encodeTime += times.encode
            files.append(file)
            progress(segment.videoFrames.upperBound, plan.spec.videoFrames)
        }
        let t0 = Date()
        try SegmentAssembler.assemble(
            files, fps: plan.spec.fps, metadata: Provenance.tags(for: plan, model: denoiser.modelName), to: output)
        encodeTime += Date().timeIntervalSince(t0)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0
        return (decodeTime, encodeTime, bytes)
    }
}

/// Decodes one segment's latents and encodes its frames as a standalone MP4 (in `longshot render`, and on
/// a worker that holds a decode segment's lease).
public struct SegmentEncoder: Sendable {
    public let plan: JobPlan
    public let denoiser: any Denoiser

    public init(plan: JobPlan, denoiser: any Denoiser) {
        self.plan = plan
        self.denoiser = denoiser
    }

    /// Writes segment `segment` to `file` from `latents` (its ``DecodeSegment/latentFrames``).
    public func encode(_ segment: DecodeSegment, latents: LatentVideo, to file: URL) throws -> (decode: Double, encode: Double) {
        let spec = plan.spec
        let t0 = Date()
        let frames = try denoiser.decode(latents, videoFrames: segment.videoFrames, width: spec.width, height: spec.height)
        guard frames.count == segment.videoFrames.count else {
            throw SegmentError("segment \(segment.index): the engine decoded \(frames.count) frames, not \(segment.videoFrames.count)")
        }
        let t1 = Date()
        let encoder = try VideoEncoder(
            destination: file, settings: VideoSettings(width: spec.width, height: spec.height, fps: spec.fps, crf: spec.crf))
        for frame in frames { try encoder.append(rgb: frame) }
        try encoder.finish()
        return (t1.timeIntervalSince(t0), Date().timeIntervalSince(t1))
    }
}

/// A decode segment that came out wrong.
public struct SegmentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
