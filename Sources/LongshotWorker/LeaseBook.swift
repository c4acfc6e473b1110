import LongshotProtocol

/// The leases a worker holds, from grant to hand-in, as a pure value: granted leases wait in a queue for
/// a slot, run, and a finished window's result waits in the outbox until a pull hands it in. The pump
/// (``LeasePump``) and the slots do the I/O and ask the book what to do next.
///
/// Prefetch: the book keeps each slot's next lease (or several, when windows are quick) in the queue, so
/// a slot never waits for a round trip between windows; quick windows are fetched and handed in in
/// batches, so a pull carries many of them.
struct LeaseBook: Sendable {
    let slots: Int
    /// Queued leases per slot are sized so a slot's queue lasts about this long (at least 1, at most
    /// ``maxPrefetch``): long windows prefetch one, quick ones up to 16.
    static let prefetchHorizon = Duration.milliseconds(40)
    static let maxPrefetch = 16
    /// A finished result waits at most this long for a batch before a pull hands it in.
    static let resultDelay = Duration.milliseconds(10)
    /// Results handed in by one pull at most.
    static let maxBatch = 64

    private(set) var queued: [Longshot_V1_LeaseGranted] = []
    private(set) var running: Set<String> = []
    /// Codenoise groups running in a slot: each holds it for the whole job, so the book fetches nothing
    /// ahead for it.
    private(set) var groups: Set<String> = []
    /// Adopted codenoise groups, run beyond the slots (see ``startExtra(_:)``).
    private(set) var extra: Set<String> = []
    private(set) var outbox: [(result: Longshot_V1_ReportResult, at: ContinuousClock.Instant)] = []
    /// Handed to a pull that has not answered yet.
    private(set) var inFlight: [Longshot_V1_ReportResult] = []
    /// Leases the coordinator took back while they ran: their runners drop the work.
    private(set) var revoked: Set<String> = []
    /// Mean time of a recent window (nil: none timed yet).
    private(set) var windowTime: Duration?
    /// Drained by an admin: finish what is held, ask for nothing new.
    var drained = false

    init(slots: Int) { self.slots = max(slots, 1) }

    /// Every lease the coordinator must keep for this worker: queued, running, and finished but not yet
    /// handed in (a lease ends only when its result is stored).
    var held: [String] {
        queued.map(\.leaseID) + Array(running) + Array(extra) + outbox.map(\.result.leaseID) + inFlight.map(\.leaseID)
    }

    /// Leases to queue per slot beyond the one it runs.
    var prefetch: Int {
        guard let windowTime, windowTime > .zero else { return 1 }
        let fit = Int((Self.prefetchHorizon / windowTime).rounded(.up))
        return min(max(fit, 1), Self.maxPrefetch)
    }

    /// How many leases a pull should ask for now: a running and `prefetch` queued leases for each slot
    /// that no group holds.
    func want(stopping: Bool) -> Int {
        guard !stopping, !drained else { return 0 }
        let free = slots - groups.count
        return max(0, free * (1 + prefetch) - queued.count - (running.count - groups.count))
    }

    /// Slots with nothing running and nothing queued for them: only these may take a codenoise group.
    var idleSlots: Int { max(0, slots - running.count - queued.count) }

    /// Whether a pull should go now: results are due (a batch is full or the oldest waited its delay), or
    /// the queue ran low while more is wanted and the coordinator is not known to be empty, or leases must
    /// be given back.
    func shouldPull(now: ContinuousClock.Instant, stopping: Bool, starved: Bool) -> Bool {
        if stopping, !queued.isEmpty { return true }
        if outbox.count >= Self.maxBatch { return true }
        if let oldest = outbox.first, now - oldest.at >= Self.resultDelay { return true }
        // Low water: refill once a slot is about to run dry (long windows: as soon as a queued lease starts).
        let low = queued.count <= (slots - groups.count) * (prefetch / 2)
        return low && !starved && want(stopping: stopping) > 0
    }

    /// When the oldest result becomes due (nil: none waits).
    var nextResultDue: ContinuousClock.Instant? { outbox.first.map { $0.at + Self.resultDelay } }

    mutating func granted(_ leases: [Longshot_V1_LeaseGranted]) {
        queued.append(contentsOf: leases)
    }

    /// The next lease for a free slot, now running.
    mutating func start() -> Longshot_V1_LeaseGranted? {
        guard !queued.isEmpty else { return nil }
        let lease = queued.removeFirst()
        running.insert(lease.leaseID)
        if lease.windowCount > 0 { groups.insert(lease.leaseID) }
        return lease
    }

    /// A lease granted outside the queue (an adopted group) runs now, beyond the slots.
    mutating func startExtra(_ leaseID: String) { extra.insert(leaseID) }

    /// A lease's work ended: with its result to hand in, or without (a failure reported, work dropped,
    /// or a segment or group that handed in its own result). `took` times windows for the prefetch.
    mutating func finished(_ leaseID: String, result: Longshot_V1_ReportResult?, took: Duration?, at now: ContinuousClock.Instant) {
        running.remove(leaseID)
        groups.remove(leaseID)
        extra.remove(leaseID)
        revoked.remove(leaseID)
        if let result { outbox.append((result, now)) }
        if let took {
            windowTime = windowTime.map { ($0 * 3 + took) / 4 } ?? took
        }
    }

    /// What the next pull carries: results (oldest first, at most a batch) and, when stopping, the queued
    /// leases given back. Both leave the book's queue; results stay held until ``handedIn()``.
    mutating func takePull(stopping: Bool) -> (results: [Longshot_V1_ReportResult], release: [String], want: Int, idleSlots: Int) {
        let count = min(outbox.count, Self.maxBatch)
        inFlight = outbox.prefix(count).map(\.result)
        outbox.removeFirst(count)
        var release: [String] = []
        if stopping {
            release = queued.map(\.leaseID)
            queued.removeAll()
        }
        return (inFlight, release, want(stopping: stopping), stopping ? 0 : idleSlots)
    }

    /// The pull answered: its results are settled (stored, or refused for good).
    mutating func handedIn() { inFlight.removeAll() }

    /// The pull failed before an answer: its results go back to the front of the outbox.
    mutating func pullFailed(at now: ContinuousClock.Instant) {
        outbox.insert(contentsOf: inFlight.map { ($0, now) }, at: 0)
        inFlight.removeAll()
    }

    /// The coordinator no longer counts these leases as ours: queued ones are dropped at once, running
    /// ones are marked for their runners, finished ones are forgotten.
    mutating func revoke(_ ids: Set<String>) {
        queued.removeAll { ids.contains($0.leaseID) }
        outbox.removeAll { ids.contains($0.result.leaseID) }
        revoked.formUnion(ids.intersection(running.union(extra)))
    }

    func isRevoked(_ id: String) -> Bool { revoked.contains(id) }

    /// Nothing is held: a stopping worker may return.
    var isEmpty: Bool { queued.isEmpty && running.isEmpty && extra.isEmpty && outbox.isEmpty && inFlight.isEmpty }
}
