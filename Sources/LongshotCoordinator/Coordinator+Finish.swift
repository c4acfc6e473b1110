import Foundation
import LongshotDiffusion
import LongshotDigest
import LongshotEngines
import LongshotJob
import LongshotProtocol
import LongshotRender
import LongshotStore

extension Coordinator {
    /// Starts stitching and encoding a job whose windows are all done, once (in the background).
    func finishIfComplete(jobID: String) async {
        guard !finishing.withLock({ $0.contains(jobID) }) else { return }
        guard let ready = try? await database.run({ store -> JobRecord? in
            guard let job = try store.job(jobID), [.queued, .running, .stitching, .encoding].contains(job.state),
                try store.allWindowsDone(jobID: jobID)
            else { return nil }
            return job
        }) else { return }
        guard finishing.withLock({ $0.insert(jobID).inserted }) else { return }
        Task.detached { [self] in
            defer { finishing.withLock { _ = $0.remove(jobID) } }
            do {
                try await finish(ready)
            } catch {
                log.error("job \(jobID): finishing failed: \(error)")
                _ = try? await database.run { try $0.setJobState(jobID, .failed, error: "stitching/encoding failed: \(error)") }
                publishState(jobID, .failed, "failed: \(error)")
            }
        }
    }

    /// Cross-fades the windows' stored latents, decodes and encodes the MP4, then marks the job succeeded.
    /// Safe to repeat: the video is written under a temporary name and renamed.
    private func finish(_ job: JobRecord) async throws {
        let id = job.id
        guard try await database.run({ try $0.setJobState(id, .stitching, from: [.queued, .running, .stitching, .encoding]) }) else { return }
        publishState(id, .stitching, "stitching \(job.windowCount) windows")
        let plan = try jobs.plan(jobID: id, specJSON: job.spec)
        let results = try await database.run { try $0.windowResults(jobID: id) }
        let n = plan.layout.frameSize
        let windows = try plan.windows.windows.map { window -> [Float] in
            guard let result = results.first(where: { $0.index == window.index }) else {
                throw RequestError(.internal, "window \(window.index) has no stored result")
            }
            guard result.bytes.count == window.count * n * 4 else {
                throw RequestError(.internal, "window \(window.index) holds \(result.bytes.count) bytes, expected \(window.count * n * 4)")
            }
            return result.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let denoiser = try EngineCatalog.denoiser(for: plan.spec)
        let fused = LatentFuser(plan: plan.windows, layout: plan.layout).fuse(windows)
        guard try await database.run({ try $0.setJobState(id, .encoding, from: [.stitching]) }) else { return }
        publishState(id, .encoding, "encoding \(plan.spec.videoFrames) frames")
        let directory = config.dataDirectory.appendingPathComponent("jobs", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("\(id).mp4")
        let written = try await Task.detached {
            try VideoFinisher(plan: plan, denoiser: denoiser).write(latents: fused, to: output)
        }.value
        let sha = SHA256.hex(try Data(contentsOf: output))
        let done = try await database.run { store -> Bool in
            guard try store.setJobOutput(id, path: output.path, bytes: Int64(written.bytes), sha256: sha) else { return false }
            return try store.setJobState(id, .succeeded, from: [.encoding])
        }
        guard done else { return }
        log.info("job \(id) succeeded: \(output.path) (\(written.bytes) bytes)")
        publishState(id, .succeeded, "succeeded: \(written.bytes) bytes")
    }

    func publishState(_ id: String, _ state: Longshot_V1_JobState, _ message: String) {
        events.publish(.with {
            $0.kind = .jobState
            $0.jobID = id
            $0.jobState = state
            $0.message = message
        })
    }
}
