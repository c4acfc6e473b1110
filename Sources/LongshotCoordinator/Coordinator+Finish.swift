import Foundation
import LongshotDiffusion
import LongshotDigest
import LongshotJob
import LongshotProtocol
import LongshotRender
import LongshotStore
import LongshotVideo

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
        if let traffic = await board.drop(job: jobID) {
            let message = "the step barrier relayed \(traffic.bytes) bytes of halos and evidence over \(traffic.steps) steps (\(traffic.bytesPerStep) bytes per step)"
            log.info("job \(jobID): \(message)", metadata: ["job.id": "\(jobID)"])
            _ = try? await database.run { try $0.appendEvent(jobID: jobID, kind: "job.exchange", message: message) }
        }
        Task.detached { [self] in
            defer { finishing.withLock { _ = $0.remove(jobID) } }
            await finishWithRetries(ready)
        }
    }

    /// Runs `finish` up to `config.finishAttempts` times, pausing `finishRetryBackoff` (doubling) between
    /// tries; each failed try is logged, stored as a `job.finish_failed` event (`longshot logs JOB`) and
    /// published. The job fails only when the last try fails, with the number of tries and the last error.
    ///
    /// A lost database connection is not a failed try: the job stays `stitching` or `encoding` and the
    /// sweep starts finishing it again once PostgreSQL answers (as it does for a job a previous
    /// coordinator left mid-finish). Nor is a full disk (see ``waitForSpace(_:_:)``), nor a stop of this
    /// coordinator: the next one finishes the job.
    private func finishWithRetries(_ job: JobRecord) async {
        let id = job.id
        let attempts = max(config.finishAttempts, 1)
        var attempt = 1
        while true {
            do {
                try await finish(job)
                return
            } catch let error as PostgresError where error.isConnectionFailure {
                log.error("job \(id): finishing interrupted, the database is unavailable (\(error)); the sweep will finish it when it is back", metadata: ["job.id": "\(id)"])
                return
            } catch where Self.isOutOfSpace(error) {
                await waitForSpace(id, error)
                return
            } catch {
                if isStopped {
                    log.error("job \(id): finishing failed while the coordinator stops: \(error); the next coordinator finishes it", metadata: ["job.id": "\(id)"])
                    return
                }
                if attempt >= attempts {
                    await failFinishing(id, attempts: attempts, error: error)
                    return
                }
                let pause = config.finishRetryBackoff * (1 << min(attempt - 1, 16))
                let message = "finish attempt \(attempt) of \(attempts) failed (retrying in \(pause)): \(error)"
                log.error("job \(id): \(message)", metadata: ["job.id": "\(id)"])
                _ = try? await database.run { try $0.appendEvent(jobID: id, kind: "job.finish_failed", message: message) }
                await publish(.make(.log, job: id, message))
                try? await Task.sleep(for: pause)
                attempt += 1
            }
        }
    }

    /// Marks a job that could not be finished `failed` (unless it left the finishing states meanwhile, e.g.
    /// cancelled). Its windows stay done: `longshot rerun JOB --failed` (no window to render) finishes it again.
    private func failFinishing(_ id: String, attempts: Int, error: any Error) async {
        let reason = "stitching/encoding failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(error)"
        log.error("job \(id): \(reason)", metadata: ["job.id": "\(id)"])
        let changed = try? await database.run {
            try $0.apply(.failed, toJob: id, error: reason)
        }
        // nil: not recorded (the database went away meanwhile), the job is still mid-finish and the sweep
        // tries again; false: the job was cancelled meanwhile.
        guard changed == true else { return }
        await publishState(id, .failed, "failed: \(reason)")
    }

    /// Stitches a job whose windows are all done into its fused latents and stores them as decode
    /// segments for workers (state `encoding`); once every segment is encoded, joins them into the MP4 by
    /// stream copy and marks the job succeeded. The coordinator decodes nothing and loads no model. Safe to
    /// repeat: segments already stored are kept, the video is written under a temporary name and renamed.
    private func finish(_ job: JobRecord) async throws {
        let id = job.id
        if job.state == .encoding, try await database.run({ try $0.hasSegments(jobID: id) }) {
            try await assembleIfEncoded(job)
            return
        }
        guard try await database.run({ try $0.apply(.windowsDone, toJob: id) }) else { return }
        await publishState(id, .stitching, "stitching \(job.windowCount) windows")
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
        // Codenoise windows hold slices of the fused latents (equal where they overlap): laid side by side.
        // Independent windows are cross-faded here.
        let fused =
            plan.spec.fusion == .codenoise
            ? FusedLatents.assemble(windows, plan: plan.windows, frameSize: n)
            : LatentFuser(plan: plan.windows, layout: plan.layout).fuse(windows)
        let rows = plan.decodeSegments.map { segment in
            let latents = fused[(segment.latentFrames.lowerBound * n)..<(segment.latentFrames.upperBound * n)]
            return SegmentPlanRow(
                index: segment.index, firstFrame: segment.videoFrames.lowerBound, frameCount: segment.videoFrames.count,
                latentFirst: segment.latentFrames.lowerBound, latentCount: segment.latentFrames.count,
                latents: latents.withUnsafeBytes { Array($0) })
        }
        let maxAttempts = config.maxAttempts
        try await database.run { try $0.planSegments(jobID: id, rows, maxAttempts: maxAttempts) }
        guard try await database.run({ try $0.apply(.stitched, toJob: id) }) else { return }
        await publishState(id, .encoding, "encoding \(plan.spec.videoFrames) frames in \(rows.count) segments on workers")
        events.publishWorkAvailable("job \(id): \(rows.count) decode segments")
    }

    /// Joins the job's encoded segments into its MP4 once all are done, and marks it succeeded.
    func assembleIfEncoded(_ job: JobRecord) async throws {
        let id = job.id
        let counts = try await database.run { try $0.segmentCounts(jobID: id) }
        guard counts.count == 1, counts[.done] != nil else { return }
        guard let videos = try await database.run({ try $0.segmentVideos(jobID: id) }) else { return }
        let plan = try jobs.plan(jobID: id, specJSON: job.spec)
        let directory = config.dataDirectory.appendingPathComponent("jobs", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("\(id).mp4")
        let scratch = directory.appendingPathComponent(".segments-\(id)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let files = try videos.map { video -> URL in
            let file = scratch.appendingPathComponent("segment-\(video.index).mp4")
            try Data(video.bytes).write(to: file)
            return file
        }
        let model = videos.first?.model ?? plan.spec.engine
        let frames = try await Task.detached {
            try SegmentAssembler.assemble(files, fps: plan.spec.fps, metadata: Provenance.tags(for: plan, model: model), to: output)
        }.value
        guard frames == plan.spec.videoFrames else {
            throw RequestError(.internal, "the segments hold \(frames) frames, the job \(plan.spec.videoFrames)")
        }
        let data = try Data(contentsOf: output)
        let sha = SHA256.hex(data)
        let bytes = Array(data)
        let prune = !config.keepWindowResults
        let done = try await database.run { try $0.setJobOutput(id, path: output.path, video: bytes, sha256: sha, pruneResults: prune) }
        guard done else { return }
        outOfSpace.withLock { _ = $0.remove(id) }
        jobs.forget(jobID: id)
        log.info("job \(id) succeeded: \(output.path) (\(data.count) bytes, \(videos.count) segments)", metadata: ["job.id": "\(id)"])
        await publishState(id, .succeeded, "succeeded: \(data.count) bytes")
    }
}
