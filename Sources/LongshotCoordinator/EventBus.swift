import Foundation
import LongshotProtocol
import LongshotTransport
import Synchronization

/// The coordinator's live events.
///
/// Events are kept in a bounded in-memory buffer, numbered, and read by `watch` over the authenticated
/// control socket (`WatchEvents`, long-polled). The PUB socket carries only content-free "work available"
/// wake-ups for idle workers, so a stranger who connects to it learns nothing but that work appeared.
final class EventBus: Sendable {
    let socket: PubSocket
    /// This coordinator run's name for its sequence numbers.
    let epoch: String
    private let buffer = Mutex(Buffer())
    /// Events kept for watchers that fall behind.
    static let capacity = 4096
    /// Which kinds of work were recently looked for in vain; every announcement of work forgets them.
    let hints = WorkHints()
    /// Rung for every event: long-polling watchers wait on it.
    private let bell = Doorbell()

    private struct Buffer {
        var events: [(seq: UInt64, event: Longshot_V1_Event)] = []
        var last: UInt64 = 0
    }

    init(listen: String, tls: TLSSettings?) throws {
        socket = try PubSocket(listen: listen, options: TransportOptions(tls: tls))
        var generator = SystemRandomNumberGenerator()
        epoch = String(generator.next() as UInt64, radix: 36)
    }

    var address: String { socket.boundAddress }

    /// Adds an event to the buffer watchers read.
    func publish(_ event: Longshot_V1_Event) {
        var event = event
        event.protocolVersion = WireProtocol.version
        if event.timeMs == 0 { event.timeMs = Int64(Date().timeIntervalSince1970 * 1000) }
        buffer.withLock { b in
            b.last += 1
            b.events.append((b.last, event))
            if b.events.count > Self.capacity { b.events.removeFirst(b.events.count - Self.capacity) }
        }
        bell.ring()
    }

    /// The events after `after`, only `job`'s when given, waiting up to `wait` for one to arrive.
    ///
    /// A watcher's first call (no `epoch`) learns where the buffer ends now and gets nothing. A call with
    /// another run's epoch (the coordinator restarted) gets everything this run has kept.
    func events(job: String, after: UInt64, epoch: String, wait: Duration) async -> Longshot_V1_EventBatch {
        let deadline = ContinuousClock.now + wait
        let from: UInt64? = epoch.isEmpty ? nil : (epoch == self.epoch ? after : 0)
        while true {
            let seen = bell.generation
            let batch = buffer.withLock { b -> Longshot_V1_EventBatch in
                guard let from else { return .with { $0.last = b.last; $0.epoch = self.epoch } }
                let picked = b.events.filter { $0.seq > from && (job.isEmpty || $0.event.jobID == job) }
                return .with {
                    $0.events = picked.map(\.event)
                    // Past events of other jobs are skipped for good.
                    $0.last = max(from, b.last)
                    $0.epoch = self.epoch
                    $0.dropped = from > 0 && (b.events.first.map { $0.seq > from + 1 } ?? false)
                }
            }
            let now = ContinuousClock.now
            if from == nil || !batch.events.isEmpty || now >= deadline { return batch }
            await bell.wait(for: deadline - now, after: seen)
        }
    }

    /// The topic of "work available" notifications: idle workers subscribe to it and ask for a lease at
    /// once instead of at their next poll.
    static let workTopic = "work"

    /// Tells idle workers that leasable work may have appeared (a job submitted, windows rerun, leases
    /// reclaimed, a retry's back-off over, a worker unblocked). A hint only: workers still poll. The
    /// message says nothing more.
    func publishWorkAvailable(_ reason: String) {
        hints.workAppeared()
        let event = Longshot_V1_Event.with {
            $0.protocolVersion = WireProtocol.version
            $0.message = "work available"
        }
        guard let bytes = try? event.serializedData() else { return }
        let socket = socket
        Task { try? await socket.publish(topic: Self.workTopic, payload: bytes) }
    }

    /// `publishWorkAvailable` once `date` has passed (a failed window's retry back-off).
    func publishWorkAvailable(_ reason: String, at date: Date) {
        let delay = date.timeIntervalSinceNow
        guard delay > 0 else { return publishWorkAvailable(reason) }
        Task { [self] in
            // A few ms late, so the database's clock has passed not_before too.
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 20))
            publishWorkAvailable(reason)
        }
    }

    func close() { socket.close() }
}

extension Longshot_V1_Event {
    static func make(_ kind: Longshot_V1_EventKind, job: String = "", window: Int? = nil, _ message: String) -> Self {
        .with {
            $0.kind = kind
            $0.jobID = job
            if let window { $0.windowIndex = UInt32(window) }
            $0.message = message
        }
    }
}
