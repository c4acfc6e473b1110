import Foundation
import LongshotProtocol

extension Coordinator {
    /// A worker's preview of the window or group its lease renders: kept (newest per window or group)
    /// and announced to watchers. A PNG that is not one, or too large, is refused.
    func reportPreview(_ r: Longshot_V1_ReportPreview) async throws -> Longshot_V1_Response.OneOf_Body {
        guard r.png.count <= PreviewStore.maxBytes else {
            throw RequestError(.invalidArgument, "preview: \(r.png.count) bytes is over the limit of \(PreviewStore.maxBytes)")
        }
        guard r.png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw RequestError(.invalidArgument, "preview: not a PNG image")
        }
        guard r.width > 0, r.height > 0, r.width <= 4096, r.height <= 4096 else {
            throw RequestError(.invalidArgument, "preview: size \(r.width)x\(r.height) is out of range 1-4096")
        }
        let job: String, index: Int, group: Bool, steps: Int
        if Self.isGroupLease(r.leaseID) {
            let info = try await requireGroup(r.leaseID)
            (job, index, group, steps) = (info.jobID, info.index, true, info.plan.spec.steps)
        } else if Self.isSegmentLease(r.leaseID) {
            throw RequestError(.invalidArgument, "preview: a decode segment has no preview")
        } else {
            guard let window = try await database.run({ try $0.windowForLease(leaseID: r.leaseID) }) else {
                throw RequestError(.leaseLost, "lease \(r.leaseID) is no longer current: drop the work")
            }
            let plan = try jobs.plan(jobID: window.jobID, specJSON: window.spec)
            (job, index, group, steps) = (window.jobID, window.index, false, plan.spec.steps)
        }
        guard r.step <= steps else { throw RequestError(.invalidArgument, "preview: step \(r.step) is past the job's \(steps) steps") }
        let worker = await workerName(holding: r.leaseID) ?? ""
        previews.put(.with {
            $0.jobID = job
            $0.index = UInt32(index)
            $0.group = group
            $0.step = r.step
            $0.steps = UInt32(steps)
            $0.png = r.png
            $0.width = r.width
            $0.height = r.height
            $0.videoFrames = r.videoFrames
            $0.timeMs = Int64(Date().timeIntervalSince1970 * 1000)
            $0.worker = worker
        })
        events.publish(.with {
            $0.kind = .preview
            $0.jobID = job
            $0.windowIndex = UInt32(index)
            $0.group = group
            $0.step = r.step
            $0.steps = UInt32(steps)
            $0.worker = worker
            $0.message = "\(group ? "group" : "window") \(index): preview at step \(r.step)/\(steps)"
        })
        return .ack(Longshot_V1_Ack())
    }

    func getPreview(_ r: Longshot_V1_GetPreview) async throws -> Longshot_V1_Response.OneOf_Body {
        guard let preview = previews.get(job: r.jobID, index: Int(r.index), group: r.group) else {
            guard try await database.run({ try $0.job(r.jobID) }) != nil else { throw RequestError(.notFound, "no job with id \(r.jobID)") }
            throw RequestError(.notFound, "job \(r.jobID) has no preview of \(r.group ? "group" : "window") \(r.index) (none was sent yet, or the coordinator restarted since)")
        }
        return .preview(preview)
    }
}
