import Foundation
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Publishes a job's event with what `watch` shows beside it: the job's windows done and in all
    /// (read from the database; step progress reuses the last counts read) and, for an event of a lease,
    /// the name of the worker that holds it.
    func publish(_ event: Longshot_V1_Event, lease: String? = nil, refresh: Bool? = nil) async {
        var event = event
        if !event.jobID.isEmpty, let counts = await windowCounts(event.jobID, refresh: refresh ?? (event.kind != .windowProgress)) {
            event.windowsDone = UInt32(clamping: counts.done)
            event.windowsTotal = UInt32(clamping: counts.total)
        }
        if let lease, let name = await workerName(holding: lease) { event.worker = name }
        events.publish(event)
    }

    /// Publishes a job's state change (see ``publish(_:lease:)``).
    func publishState(_ id: String, _ state: Longshot_V1_JobState, _ message: String) async {
        await publish(.with {
            $0.kind = .jobState
            $0.jobID = id
            $0.jobState = state
            $0.message = message
        })
    }

    /// Publishes a batch of lease events, counting each job's windows once for the batch.
    /// - Returns: the jobs whose windows the count found all done.
    @discardableResult
    func publishBatch(_ batch: [(event: Longshot_V1_Event, lease: String)]) async -> Set<String> {
        var counted = Set<String>()
        for (event, lease) in batch {
            await publish(event, lease: lease, refresh: counted.insert(event.jobID).inserted)
        }
        return Set(counted.filter { job in eventDetails.withLock { $0.counts[job].map { $0.done == $0.total } ?? false } })
    }

    /// Looks up the holder of the first of `leases` and notes it for all: they were granted together.
    func sameHolder(_ leases: [String]) async {
        guard let first = leases.first, let name = await workerName(holding: first) else { return }
        eventDetails.withLock { details in
            if details.leaseWorkers.count > EventDetails.limit { details.leaseWorkers.removeAll() }
            for lease in leases { details.leaseWorkers[lease] = name }
        }
    }

    private func windowCounts(_ job: String, refresh: Bool) async -> (done: Int, total: Int)? {
        if !refresh, let known = eventDetails.withLock({ $0.counts[job] }) { return known }
        guard let states = try? await database.run({ try $0.windowCounts(jobID: job) }) else { return nil }
        let counts = (done: states[.done] ?? 0, total: states.values.reduce(0, +))
        eventDetails.withLock { details in
            if details.counts.count > EventDetails.limit { details.counts.removeAll() }
            details.counts[job] = counts
        }
        return counts
    }

    func workerName(holding lease: String) async -> String? {
        if let known = eventDetails.withLock({ $0.leaseWorkers[lease] }) { return known }
        guard let name = try? await database.run({ try $0.leaseHolderName(leaseID: lease) }) else { return nil }
        eventDetails.withLock { details in
            if details.leaseWorkers.count > EventDetails.limit { details.leaseWorkers.removeAll() }
            details.leaseWorkers[lease] = name
        }
        return name
    }
}

/// Caches for event details: only to save queries, bounded, rebuilt from the database on a miss.
struct EventDetails: Sendable {
    static let limit = 10_000
    var counts: [String: (done: Int, total: Int)] = [:]
    var leaseWorkers: [String: String] = [:]
}
