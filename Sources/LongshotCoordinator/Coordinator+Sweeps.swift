import Foundation
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Once a second: reclaim expired leases, notice dead workers, and finish jobs whose windows are all
    /// done (including jobs a previous coordinator left mid-stitch or mid-encode).
    func sweepLoop() async {
        var firstPass = true
        while !Task.isCancelled, !isStopped {
            do {
                try await sweep(resuming: firstPass)
                firstPass = false
            } catch {
                log.error("sweep: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func sweep(resuming: Bool) async throws {
        let timeout = config.workerTimeout
        let (expired, lost) = try await database.run { store in
            (try store.expireLeases(), try store.markWorkersOffline(silentFor: timeout))
        }
        if expired > 0 {
            log.info("reclaimed \(expired) expired lease(s)")
        }
        for worker in lost {
            log.info("worker \(worker.name) (\(worker.id)) is silent: offline, its leases go back to the queue")
            events.publish(.make(.workerLost, "worker \(worker.name) lost"))
        }
        let candidates = try await database.run { store in
            try store.listJobs(states: [.running, .queued, .stitching, .encoding], limit: 1000).map(\.id)
        }
        for id in candidates { await finishIfComplete(jobID: id) }
    }
}
