import Foundation
import Logging
import LongshotDiffusion
import LongshotDigest
import LongshotEngines
import LongshotJob
import LongshotLogging
import LongshotMetrics
import LongshotProtocol
import LongshotRender
import LongshotWire

/// Works one decode segment lease: decodes the segment's fused latents with the job's engine, encodes the
/// frames as one MP4 (its own IDR frame first) and uploads it; a decode or encode error fails the lease
/// with the engine's message, and the coordinator retries it like a window.
struct SegmentRunner: Sendable {
    let lease: Longshot_V1_LeaseGranted
    let client: CoordinatorLink
    let log: Logger
    /// The worker's last log lines, sent with a failure report.
    let tail: LogTail
    /// The worker's leases: says when the coordinator took this one back.
    let leases: WorkerLeases
    let engines: EngineRoster

    func run() async {
        let id = lease.leaseID
        let job = lease.jobID, index = Int(lease.segmentIndex)
        var log = self.log
        log[metadataKey: "job.id"] = "\(job)"
        log[metadataKey: "segment.index"] = "\(index)"
        let started = ContinuousClock.now
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-segment-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            let spec = try JobSpec(wire: lease.job)
            let denoiser = try engines.denoiser(for: spec)
            let plan = try JobPlan(spec: spec, layout: denoiser.layout(width: spec.width, height: spec.height))
            let segments = plan.decodeSegments
            let videoFrames = Int(lease.segmentFirstFrame)..<Int(lease.segmentFirstFrame + lease.segmentFrameCount)
            let latentFrames = Int(lease.firstFrame)..<Int(lease.firstFrame + lease.frameCount)
            guard index < segments.count, segments[index].videoFrames == videoFrames, segments[index].latentFrames == latentFrames else {
                throw WorkerError("segment \(index) of \(job) is frames \(videoFrames) from latents \(latentFrames) at the coordinator but not here: versions or engines differ?")
            }
            let data = try lease.latents.latents(frames: latentFrames.count, layout: plan.layout)
            let latents = LatentVideo(layout: plan.layout, firstFrame: latentFrames.lowerBound, frames: latentFrames.count, data: data)
            log.info("job \(job) segment \(index): decoding frames \(videoFrames.lowerBound)-\(videoFrames.upperBound - 1)")
            _ = try await onThread(name: "segment-\(index)") {
                try SegmentEncoder(plan: plan, denoiser: denoiser).encode(segments[index], latents: latents, to: scratch)
            }
            if leases.isRevoked(id) { throw LeaseStop.revoked }
            let video = try Data(contentsOf: scratch)
            let result = Longshot_V1_ReportResult.with {
                $0.leaseID = id
                $0.segmentVideo = video
                $0.digest = SHA256.hex(video)
                $0.modelName = denoiser.modelName
            }
            try await client.callRetrying(.reportResult(result), for: .seconds(300))
            log.info("job \(job) segment \(index): encoded in \(ContinuousClock.now - started) (\(video.count) bytes), uploaded")
        } catch {
            await settleFailedLease(error, leaseID: id, what: "job \(job) segment \(index)", client: client, log: log, tail: tail)
        }
    }
}
