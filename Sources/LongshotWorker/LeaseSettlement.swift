import Logging
import LongshotLogging
import LongshotProtocol
import LongshotTransport
import Synchronization

/// The worker's lease book behind a lock, with the bells its pump and slots wait on. The coordinator
/// renews every held lease on each heartbeat (``LeaseBook/held``), and says which ones it took back.
final class WorkerLeases: Sendable {
    private let book: Mutex<LeaseBook>
    /// Rung when the pump may have something to do: a slot took or finished a lease, a stop, a notification.
    let pumpBell = Doorbell()
    /// Rung when slots may have something to do: leases granted, a stop.
    let slotBell = Doorbell()

    init(slots: Int) { book = Mutex(LeaseBook(slots: slots)) }

    /// Reads or changes the book; rings both bells after a change.
    func change<T>(_ body: (inout LeaseBook) -> T) -> T {
        let value = book.withLock { body(&$0) }
        pumpBell.ring()
        slotBell.ring()
        return value
    }

    func read<T>(_ body: (LeaseBook) -> T) -> T { book.withLock { body($0) } }

    /// The next queued lease for a free slot, now running (nil: none queued); rings the pump when one
    /// is taken, since the queue ran lower.
    func start() -> Longshot_V1_LeaseGranted? {
        let lease = book.withLock { $0.start() }
        if lease != nil { pumpBell.ring() }
        return lease
    }

    /// True once the coordinator took the lease back: its runner drops the work.
    func isRevoked(_ id: String) -> Bool { read { $0.isRevoked(id) } }
}

/// Ends a lease whose work threw: dropped when the coordinator took the lease back, discarded when it
/// refused the result as no longer current, otherwise reported failed with the worker's last log lines
/// (`what` names the work in the log, e.g. "job J window 3").
func settleFailedLease(_ error: any Error, leaseID: String, what: String, client: CoordinatorLink, log: Logger, tail: LogTail) async {
    switch error {
    case LeaseStop.revoked:
        log.info("\(what): dropped, the lease was taken back")
    case let lost as FarmCallError where lost.isLeaseLost:
        log.info("\(what): result discarded by the coordinator: \(lost.message)")
    default:
        log.error("\(what) failed: \(error)")
        let failure = Longshot_V1_ReportFailure.with {
            $0.leaseID = leaseID
            $0.error = "\(error)"
            $0.logTail = tail.text()
        }
        _ = try? await client.callRetrying(.reportFailure(failure), for: .seconds(60))
    }
}
