import Foundation
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Deletes an ended job with everything the farm keeps of it: its rows (windows, attempts, groups,
    /// segments, events, the stored video) and the video's file in the data directory.
    func deleteJob(_ r: Longshot_V1_DeleteJob, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        guard let job = try await database.run({ try $0.job(id) }) else { throw RequestError(.notFound, "no job with id \(id)") }
        try caller.mayChange(job, "delete")
        guard job.state.isTerminal else {
            throw RequestError(.conflict, "job \(id) is \(job.state.rawValue); cancel it before deleting it")
        }
        guard try await database.run({ try $0.deleteEndedJob(id) }) else {
            throw RequestError(.conflict, "job \(id) changed while it was being deleted (rerun?); look at it and try again")
        }
        removeLocalCopies(of: id)
        log.info("job \(id) (\(job.state.rawValue)) deleted by \(caller.identity)", metadata: ["job.id": "\(id)"])
        return .ack(.with { $0.message = "deleted \(id) (\(job.state.rawValue)) with its video and logs" })
    }

    /// Once a minute (or sooner for short retentions): deletes ended jobs last changed longer ago than
    /// `retention` (`config.jobRetention`), oldest first, a hundred at a time.
    func retentionLoop(_ retention: Duration) async {
        let pause = min(max(retention / 10, .seconds(1)), .seconds(60))
        while !Task.isCancelled, !isStopped {
            do {
                let expired = try await database.run { try $0.endedJobs(olderThan: retention, limit: 100) }
                for id in expired {
                    // A job rerun meanwhile has not ended: it stays.
                    guard try await database.run({ try $0.deleteEndedJob(id) }) else { continue }
                    removeLocalCopies(of: id)
                    log.info("job \(id) deleted: it ended more than \(retention) ago (--job-retention)", metadata: ["job.id": "\(id)"])
                }
            } catch {
                log.error("job retention: \(error)")
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// Forgets what this coordinator holds of a deleted job: its cached plan and its video file.
    private func removeLocalCopies(of id: String) {
        jobs.forget(jobID: id)
        previews.drop(job: id)
        outOfSpace.withLock { _ = $0.remove(id) }
        let file = config.dataDirectory.appendingPathComponent("jobs", isDirectory: true).appendingPathComponent("\(id).mp4")
        try? FileManager.default.removeItem(at: file)
    }
}
