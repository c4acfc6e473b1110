import Synchronization

/// Keeps a lease alive: renews it every third of its time to live until cancelled, and raises `revoked`
/// when the coordinator says the lease is no longer the worker's.
final class LeaseRenewal: Sendable {
    let revoked = Atomic<Bool>(false)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(leaseID id: String, client: CoordinatorLink, log: WorkerLog, ttl: Duration) {
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
