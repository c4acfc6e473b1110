import Foundation
import Logging
import LongshotEngines
import LongshotLogging
import LongshotMetrics
import LongshotProtocol
import Synchronization

/// A worker: registers with the coordinator, pulls leases into its slots, renders, uploads, heartbeats.
///
/// It connects out, so a worker can run on any machine that reaches the coordinator's address. While the
/// coordinator is away it retries with backoff; on `stop()` (SIGTERM) it takes no new leases, finishes
/// the windows it holds and returns.
public final class WorkerService: Sendable {
    public let config: WorkerConfig
    public let log: Logger
    /// The last lines `log` wrote, sent with failure reports.
    public let tail = LogTail()
    private let link: CoordinatorLink
    private let notifications = WorkNotifications()
    /// The engines, loaded once and kept warm from one lease and job to the next.
    public let engines: EngineRoster
    private let offers = Mutex<[Longshot_V1_EngineOffer]>([])
    private let state = Mutex<State>(State())

    struct State {
        var workerID = ""
        var stopping = false
        var active: Set<String> = []
        /// Jobs this worker is asking to adopt a group of right now, and adopted groups still running.
        var adopting: Set<String> = []
        var adopted = 0
        var ttl: Duration = .seconds(15)
        var heartbeat: Duration = .seconds(1)
    }

    public init(config: WorkerConfig) throws {
        self.config = config
        var log = Logger(label: "worker") { [tail] label in FarmLogHandler(label: label, format: config.logFormat, level: config.logLevel, tail: tail) }
        log[metadataKey: "worker.name"] = "\(config.name)"
        self.log = log
        self.link = try CoordinatorLink(address: config.coordinator, token: config.token, tls: config.tls)
        self.engines = EngineRoster(config.engines)
    }

    /// Asks the worker to finish what it holds and return from `run()`.
    /// True once the worker has registered with the coordinator (its `/readyz`).
    public var isRegistered: Bool { !state.withLock { $0.workerID }.isEmpty }

    public func stop() {
        state.withLock { $0.stopping = true }
        log.info("stopping: finishing \(state.withLock { $0.active.count }) window(s), taking no new ones")
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// Runs until `stop()`; throws only for errors that retrying cannot fix (a wrong token or version).
    public func run() async throws {
        let loaded = try await EngineOffers.load(engines, log: log)
        offers.withLock { $0 = loaded }
        try await register()
        // Each task says whether it was a slot.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            // Cancelled once the slots are done (a stop): that ends them, it is no failure.
            group.addTask {
                do { try await self.heartbeatLoop() } catch is CancellationError {}
                return false
            }
            group.addTask { await self.notificationLoop(); return false }
            group.addTask {
                do { try await self.watchdogLoop() } catch is CancellationError {}
                return false
            }
            for slot in 0..<config.slots {
                group.addTask { try await self.slotLoop(slot); return true }
            }
            // Slots return when stopping; then end the heartbeat and the subscription too.
            var finishedSlots = 0
            while let wasSlot = try await group.next() {
                guard wasSlot else { continue }
                finishedSlots += 1
                if finishedSlots == config.slots { group.cancelAll() }
            }
        }
        while state.withLock({ $0.adopted > 0 }) { try await Task.sleep(for: .milliseconds(100)) }
        log.info("stopped")
    }

    /// Watches for a coordinator that has answered nothing for `config.watchdog` and hands over to
    /// `config.onWatchdog` (once). The coordinator may simply be down; restarting then costs the worker's
    /// engine loads, and it waits for the coordinator as at start.
    private func watchdogLoop() async throws {
        guard let limit = config.watchdog else { return }
        while !stopping {
            try await Task.sleep(for: .seconds(1))
            let silence = link.silence
            if silence > limit {
                log.info("watchdog: no answer from the coordinator for \(silence); restarting this worker")
                config.onWatchdog(silence)
                return
            }
        }
    }

    /// Runs one lease: a window, a codenoise group or a decode segment.
    private func work(_ lease: Longshot_V1_LeaseGranted, ttl: Duration) async {
        state.withLock { _ = $0.active.insert(lease.leaseID) }
        if lease.hasSegmentIndex {
            await SegmentRunner(lease: lease, client: link, log: log, tail: tail, ttl: ttl, engines: engines).run()
        } else if lease.windowCount > 0 {
            await GroupRunner(lease: lease, client: link, log: log, tail: tail, ttl: ttl, engines: engines, previewInterval: config.previewInterval) { [self] job in
                adopt(job)
            }.run()
        } else {
            await LeaseRunner(lease: lease, client: link, log: log, tail: tail, ttl: ttl, engines: engines, previewInterval: config.previewInterval).run()
        }
        state.withLock { _ = $0.active.remove(lease.leaseID) }
    }

    /// Takes a group of `jobID` that no worker holds, beyond this worker's slots: one of its groups waits
    /// at that job's step barrier, which cannot complete otherwise.
    private func adopt(_ jobID: String) {
        let (id, ttl, fresh) = state.withLock { s in (s.workerID, s.ttl, s.adopting.insert(jobID).inserted) }
        guard fresh else { return }
        Task {
            defer { state.withLock { _ = $0.adopting.remove(jobID) } }
            guard case .leaseGranted(let lease)? = try? await link.call(.acquireLease(.with {
                $0.workerID = id
                $0.adoptJobID = jobID
            })) else { return }
            log.info("adopting group \(lease.groupIndex) of job \(jobID): it had no worker")
            state.withLock { $0.adopted += 1 }
            await work(lease, ttl: ttl)
            state.withLock { $0.adopted -= 1 }
        }
    }

    private func register() async throws {
        var pause = Duration.milliseconds(200)
        while !stopping {
            let request = Longshot_V1_RegisterWorker.with {
                $0.name = config.name
                $0.host = config.host
                $0.pid = UInt32(getpid())
                $0.engine = config.engineNames
                $0.slots = UInt32(config.slots)
                $0.version = config.version
                $0.offers = offers.withLock { $0 }
            }
            do {
                if case .workerRegistered(let r) = try await link.call(.registerWorker(request)) {
                    link.client.setSession(r.session)
                    state.withLock {
                        $0.workerID = r.workerID
                        $0.ttl = .milliseconds(Int(max(r.leaseTtlMs, 1000)))
                        $0.heartbeat = .milliseconds(Int(max(r.heartbeatIntervalMs, 200)))
                    }
                    log.info("registered as \(r.workerID) with \(config.coordinator) (engines \(config.engineNames), \(config.slots) slot(s))")
                    return
                }
            } catch where error.isRetryable {
                log.info("coordinator not reachable (\(error.message)); retrying in \(pause)")
            } catch {
                throw WorkerError("the coordinator refused this worker: \(error.message)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// Subscribes to the coordinator's "work available" notifications (its events address comes from
    /// `GetStatus`). Without them (an old coordinator, an unreachable events address) slots just poll.
    private func notificationLoop() async {
        var events: String?
        var pause = Duration.milliseconds(200)
        while events == nil, !Task.isCancelled, !stopping {
            do {
                if case .clusterStatus(let status) = try await link.call(.getStatus(Longshot_V1_GetStatus())) {
                    events = status.coordinator.events
                } else {
                    break
                }
            } catch where error.isRetryable {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            } catch {
                break
            }
        }
        guard let events, !events.isEmpty else {
            if !Task.isCancelled, !stopping { log.info("the coordinator names no events address; polling for work only") }
            return
        }
        await notifications.listen(to: WorkNotifications.dialable(events, reached: config.coordinator), tls: config.tls, log: log)
    }

    private func heartbeatLoop() async throws {
        while !Task.isCancelled {
            let (id, active, interval) = state.withLock { ($0.workerID, Array($0.active), $0.heartbeat) }
            try await Task.sleep(for: interval)
            for name in engines.unloadIdle() { log.info("engine \(name) unloaded after its idle time") }
            do {
                let engineStates = engines.states.map { e in
                    FarmMetrics.engineMemory(e.name, bytes: e.residentBytes)
                    return Longshot_V1_EngineState.with {
                        $0.name = e.name
                        $0.loaded = e.loaded
                        $0.loads = UInt32(e.loads)
                        $0.residentBytes = UInt64(e.residentBytes)
                        $0.gpuBytes = UInt64(e.gpuBytes)
                    }
                }
                _ = try await link.call(.heartbeat(.with {
                    $0.workerID = id
                    $0.activeLeaseIds = active
                    $0.engines = engineStates
                }))
            } catch where error.code == .notFound {
                log.info("the coordinator forgot this worker; registering again")
                try await register()
            } catch {
                // Unreachable: the slots notice too; keep beating.
            }
        }
    }

    private func slotLoop(_ slot: Int) async throws {
        var pause = Duration.milliseconds(200)
        while !stopping {
            let (id, ttl) = state.withLock { ($0.workerID, $0.ttl) }
            let reply: Longshot_V1_Response.OneOf_Body
            // Taken before asking, so that work announced while the answer travels is not missed.
            let seen = notifications.generation
            do {
                reply = try await link.call(.acquireLease(.with {
                    $0.workerID = id
                    $0.freeSlots = 1
                }))
                pause = .milliseconds(200)
            } catch where error.code == .notFound {
                try await register()
                continue
            } catch {
                log.info("slot \(slot): \(error.message); retrying in \(pause)")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
                continue
            }
            switch reply {
            case .leaseGranted(let lease):
                await work(lease, ttl: ttl)
            case .noWork(let wait):
                // Until the retry-after passes or the coordinator announces work, whichever comes first.
                await notifications.wait(for: .milliseconds(Int(min(max(wait.retryAfterMs, 50), 5000))), after: seen)
                try Task.checkCancellation()
            default:
                log.error("slot \(slot): unexpected reply to acquire")
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
