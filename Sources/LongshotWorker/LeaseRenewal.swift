import Logging
import LongshotLogging
import LongshotProtocol
import Synchronization

/// Keeps a lease alive: renews it every third of its time to live until cancelled, and raises `revoked`
/// when the coordinator says the lease is no longer the worker's.
final class LeaseRenewal: Sendable {
    let revoked = Atomic<Bool>(false)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(leaseID id: String, client: CoordinatorLink, log: Logger, ttl: Duration) {
        // The task holds `self` until `cancel()` ends it.
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: ttl / 3)
                if Task.isCancelled { return }
                do {
                    _ = try await client.call(.renewLease(.with { $0.leaseID = id }))
                } catch let error as FarmCallError where error.isLeaseLost {
                    log.info("lease \(id) was taken back: \(error.message)")
                    revoked.store(true, ordering: .relaxed)
                    return
                } catch {
                    log.error("renewing lease \(id): \(error)")
                }
            }
        }
        self.task.withLock { $0 = task }
    }

    var isRevoked: Bool { revoked.load(ordering: .relaxed) }

    func cancel() { task.withLock { $0?.cancel() } }
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
