import Foundation
import LongshotDigest
import LongshotMetrics
import LongshotProtocol
import LongshotStore
import LongshotWire

/// Decode segments: after a job's windows are stitched, workers decode and encode its video segment by
/// segment with their engine; the coordinator only hands the fused latents out and joins the results.
extension Coordinator {
    static func isSegmentLease(_ id: String) -> Bool { id.hasPrefix("s-") }

    /// Grants a pending decode segment to the worker, as a `LeaseGranted` with `segment_index` set.
    func acquireSegment(workerID: String) async throws -> Longshot_V1_LeaseGranted? {
        let ttl = config.leaseTTL
        guard let lease = try await database.run({ try $0.acquireSegmentLease(workerID: workerID, ttl: ttl) }) else { return nil }
        let plan = try jobs.plan(jobID: lease.jobID, specJSON: lease.spec)
        let latents = lease.latents.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        FarmMetrics.leaseGranted("segment")
        await publish(.make(.log, job: lease.jobID, "segment \(lease.index) leased (attempt \(lease.attempt))"), lease: lease.leaseID)
        return try .with {
            $0.leaseID = lease.leaseID
            $0.jobID = lease.jobID
            $0.job = plan.spec.wire
            $0.firstFrame = UInt32(lease.latentFirst)
            $0.frameCount = UInt32(lease.latentCount)
            $0.latents = try Longshot_V1_Tensor(latents: latents, frames: lease.latentCount, layout: plan.layout)
            $0.expiresAtMs = Int64(lease.expiresAt.timeIntervalSince1970 * 1000)
            $0.segmentIndex = UInt32(lease.index)
            $0.segmentFirstFrame = UInt32(lease.firstFrame)
            $0.segmentFrameCount = UInt32(lease.frameCount)
        }
    }

    /// Stores an encoded segment (an MP4 of the segment's frames) and assembles the job once all are in.
    func reportSegmentResult(_ r: Longshot_V1_ReportResult) async throws -> Longshot_V1_Response.OneOf_Body {
        guard let segment = try await database.run({ try $0.segmentForLease(leaseID: r.leaseID) }) else {
            throw RequestError(.leaseLost, "lease \(r.leaseID) is not current: the segment was discarded")
        }
        let video = [UInt8](r.segmentVideo)
        guard video.count >= 8, video.count <= WireProtocol.defaultMaxMessageBytes else {
            throw RequestError(.invalidArgument, "segment \(segment.index) of job \(segment.jobID): \(video.count) bytes is not an MP4 segment")
        }
        let digest = SHA256.hex(Data(video))
        guard r.digest.isEmpty || r.digest == digest else {
            throw RequestError(.invalidArgument, "segment \(segment.index): digest \(r.digest) does not match the data (\(digest))")
        }
        guard let jobID = try await database.run({ try $0.completeSegment(leaseID: r.leaseID, video: video, digest: digest, model: r.modelName) }) else {
            throw RequestError(.leaseLost, "lease \(r.leaseID) expired before its segment arrived: discarded")
        }
        FarmMetrics.bytes(video.count, "segments")
        await publish(.make(.log, job: jobID, "segment \(segment.index) encoded (\(video.count) bytes)"))
        await finishIfComplete(jobID: jobID)
        return .ack(.with { $0.message = "committed" })
    }

    /// A worker could not decode or encode its segment: retried with backoff, or the job fails with the error.
    func reportSegmentFailure(_ r: Longshot_V1_ReportFailure) async throws -> Longshot_V1_Response.OneOf_Body {
        let backoff = config.retryBackoff
        let segment = try await database.run { try $0.segmentForLease(leaseID: r.leaseID) }
        let failure = try await database.run {
            try $0.failSegmentLease(leaseID: r.leaseID, error: r.error, logTail: r.logTail, backoff: backoff)
        }
        if let segment {
            switch failure.outcome {
            case .retrying(let notBefore):
                events.publishWorkAvailable("job \(segment.jobID) segment \(segment.index) retry", at: notBefore)
                log.info("job \(segment.jobID) segment \(segment.index) failed: \(r.error) (will retry)")
            case .windowFailed:
                log.error("job \(segment.jobID) segment \(segment.index) failed: \(r.error); attempts used up, the job failed")
                await publishState(segment.jobID, .failed, "failed: decode segment \(segment.index): \(r.error)")
            case .staleLease:
                break
            }
        }
        return .ack(Longshot_V1_Ack())
    }
}
