import Foundation
import LongshotMetrics
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Once a second: reclaim expired leases, notice dead workers, and finish jobs whose windows are all
    /// done (including jobs a previous coordinator left mid-stitch or mid-encode).
    func sweepLoop() async {
        while !Task.isCancelled, !isStopped {
            do {
                try await sweep()
            } catch {
                log.error("sweep: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func sweep() async throws {
        let timeout = config.workerTimeout
        let (expired, lost) = try await database.run { store in
            (try store.expireLeases(), try store.markWorkersOffline(silentFor: timeout))
        }
        if expired > 0 {
            log.info("reclaimed \(expired) expired lease(s)")
            events.publishWorkAvailable("\(expired) expired lease(s) reclaimed")
        }
        if !lost.isEmpty { events.publishWorkAvailable("\(lost.count) lost worker(s)' leases reclaimed") }
        for worker in lost {
            log.info("worker \(worker.name) (\(worker.id)) is silent: offline, its leases go back to the queue")
            events.publish(.make(.workerLost, "worker \(worker.name) lost"))
        }
        let ready = try await database.run { try $0.jobsReadyToFinish() }
        for id in ready { await finishIfComplete(jobID: id) }
        if config.metrics { try await recordQueueMetrics() }
    }

    /// Jobs, windows and workers by state, as gauges (with `--http`; three counting queries a second).
    private func recordQueueMetrics() async throws {
        let (jobs, windows, workers) = try await database.run { store in
            (try store.jobStateCounts(), try store.windowStateCounts(), try store.listWorkers())
        }
        FarmMetrics.jobs(Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, jobs[$0] ?? 0) }))
        FarmMetrics.windows(Dictionary(uniqueKeysWithValues: WindowState.allCases.map { ($0.rawValue, windows[$0] ?? 0) }))
        let byState = Dictionary(grouping: workers, by: \.state).mapValues(\.count)
        FarmMetrics.workers(Dictionary(uniqueKeysWithValues: WorkerState.allCases.map { ($0.rawValue, byState[$0] ?? 0) }))
    }
}
