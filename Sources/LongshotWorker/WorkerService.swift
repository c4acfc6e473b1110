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
    /// The leases held, from grant to hand-in; its bells wake the pump and the slots.
    private let leases: WorkerLeases
    private let notifications: WorkNotifications
    private let plans = JobPlans()
    /// The engines, loaded once and kept warm from one lease and job to the next.
    public let engines: EngineRoster
    private let offers = Mutex<[Longshot_V1_EngineOffer]>([])
    private let state = Mutex<State>(State())

    struct State {
        var workerID = ""
        var stopping = false
        /// Jobs this worker is asking to adopt a group of right now, and adopted groups still running.
        var adopting: Set<String> = []
        var adopted = 0
        var heartbeat: Duration = .seconds(1)
    }

    public init(config: WorkerConfig) throws {
        self.config = config
        var log = Logger(label: "worker") { [tail] label in FarmLogHandler(label: label, format: config.logFormat, level: config.logLevel, tail: tail) }
        log[metadataKey: "worker.name"] = "\(config.name)"
        self.log = log
        self.link = try CoordinatorLink(address: config.coordinator, token: config.token, tls: config.tls)
        self.engines = EngineRoster(config.engines)
        self.leases = WorkerLeases(slots: config.slots)
        self.notifications = WorkNotifications(bell: leases.pumpBell)
    }

    /// Asks the worker to finish what it holds and return from `run()`.
    /// True once the worker has registered with the coordinator (its `/readyz`).
    public var isRegistered: Bool { !state.withLock { $0.workerID }.isEmpty }

    public func stop() {
        state.withLock { $0.stopping = true }
        let (running, queued) = leases.change { ($0.running.count, $0.queued.count) }
        log.info("stopping: finishing \(running) lease(s), giving back \(queued) queued, taking no new ones")
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
            // The pump counts as a slot: the worker is done once it has handed everything in.
            group.addTask { try await self.pumpLoop(); return true }
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
                if finishedSlots == config.slots + 1 { group.cancelAll() }
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

    /// Runs one lease: a window, a codenoise group or a decode segment. A window's result goes to the
    /// book's outbox for the next pull; segments and groups hand in their own.
    private func work(_ lease: Longshot_V1_LeaseGranted) async {
        let started = ContinuousClock.now
        if lease.hasSegmentIndex {
            await SegmentRunner(lease: lease, client: link, log: log, tail: tail, leases: leases, engines: engines).run()
            leases.change { $0.finished(lease.leaseID, result: nil, took: nil, at: .now) }
        } else if lease.windowCount > 0 {
            await GroupRunner(lease: lease, client: link, log: log, tail: tail, leases: leases, engines: engines, previewInterval: config.previewInterval) { [self] job in
                adopt(job)
            }.run()
            leases.change { $0.finished(lease.leaseID, result: nil, took: nil, at: .now) }
        } else {
            let result = await LeaseRunner(lease: lease, client: link, log: log, tail: tail, leases: leases, engines: engines, plans: plans, previewInterval: config.previewInterval).run()
            let took = ContinuousClock.now - started
            leases.change { $0.finished(lease.leaseID, result: result, took: result == nil ? nil : took, at: .now) }
        }
    }

    /// Takes a group of `jobID` that no worker holds, beyond this worker's slots: one of its groups waits
    /// at that job's step barrier, which cannot complete otherwise.
    private func adopt(_ jobID: String) {
        let (id, fresh) = state.withLock { s in (s.workerID, s.adopting.insert(jobID).inserted) }
        guard fresh else { return }
        Task {
            defer { state.withLock { _ = $0.adopting.remove(jobID) } }
            guard case .leaseGranted(let lease)? = try? await link.call(.acquireLease(.with {
                $0.workerID = id
                $0.adoptJobID = jobID
            })) else { return }
            log.info("adopting group \(lease.groupIndex) of job \(jobID): it had no worker")
            state.withLock { $0.adopted += 1 }
            leases.change { $0.startExtra(lease.leaseID) }
            await work(lease)
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
            let (id, interval) = state.withLock { ($0.workerID, $0.heartbeat) }
            try await Task.sleep(for: interval)
            let held = leases.read(\.held)
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
                let reply = try await link.call(.heartbeat(.with {
                    $0.workerID = id
                    $0.activeLeaseIds = held
                    $0.engines = engineStates
                }))
                if case .heartbeatAck(let ack) = reply {
                    let revoked = Set(ack.revokedLeaseIds)
                    let wasDrained = leases.change { book -> Bool in
                        defer {
                            book.revoke(revoked)
                            book.drained = ack.drain
                        }
                        return book.drained
                    }
                    for lease in revoked { log.info("lease \(lease) was taken back by the coordinator") }
                    if ack.drain != wasDrained { log.info(ack.drain ? "drained: finishing what is held, taking no new leases" : "no longer drained") }
                }
            } catch where error.code == .notFound {
                log.info("the coordinator forgot this worker; registering again")
                try await register()
            } catch {
                // Unreachable: the slots notice too; keep beating.
            }
        }
    }

    /// A slot: runs the book's next queued lease, waits while there is none, returns once stopping with
    /// nothing queued.
    private func slotLoop(_ slot: Int) async throws {
        while true {
            let seen = leases.slotBell.generation
            let stopping = self.stopping
            if !stopping, let lease = leases.start() {
                await work(lease)
                continue
            }
            if stopping { return }
            await leases.slotBell.wait(for: .seconds(1), after: seen)
        }
    }

    /// The pump: hands in finished windows and refills the queue with PullWork whenever the book says so
    /// (see ``LeaseBook/shouldPull(now:stopping:starved:)``); while the coordinator has nothing, waits for
    /// its retry-after or a work notification. Returns once stopping with nothing held.
    private func pumpLoop() async throws {
        var pause = Duration.milliseconds(200)
        var starvedUntil: ContinuousClock.Instant?
        // Consecutive empty answers: each doubles the wait (up to 2 s), since a starved worker is woken by
        // a work notification anyway and its polls are only the fallback for a lost one.
        var emptyAnswers = 0
        var notificationsSeen = notifications.received
        while true {
            let seen = leases.pumpBell.generation
            let now = ContinuousClock.now
            let stopping = self.stopping
            if notifications.received != notificationsSeen {
                starvedUntil = nil
                emptyAnswers = 0
            }
            let starved = starvedUntil.map { now < $0 } ?? false
            notifications.isStarved = starved
            let (go, empty, due) = leases.read { ($0.shouldPull(now: now, stopping: stopping, starved: starved), $0.isEmpty, $0.nextResultDue) }
            if stopping, empty { return }
            guard go else {
                var wait = Duration.seconds(1)
                if let due { wait = min(wait, due - now) }
                if let starvedUntil, starvedUntil > now { wait = min(wait, starvedUntil - now) }
                await leases.pumpBell.wait(for: max(wait, .milliseconds(1)), after: seen)
                continue
            }
            let id = state.withLock { $0.workerID }
            let pull = leases.change { $0.takePull(stopping: stopping) }
            notificationsSeen = notifications.received
            do throws(FarmCallError) {
                let reply = try await link.call(.pullWork(.with {
                    $0.workerID = id
                    $0.results = pull.results
                    $0.releasedLeaseIds = pull.release
                    $0.want = UInt32(pull.want)
                    $0.idleSlots = UInt32(pull.idleSlots)
                }))
                guard case .workPulled(let pulled) = reply else { throw FarmCallError(code: .internal, message: "unexpected reply to PullWork") }
                pause = .milliseconds(200)
                for outcome in pulled.outcomes where outcome.hasError {
                    log.info("lease \(outcome.leaseID): \(outcome.error.message)")
                }
                leases.change { book in
                    book.handedIn()
                    book.granted(pulled.leases)
                }
                if !pulled.leases.isEmpty {
                    starvedUntil = nil
                    emptyAnswers = 0
                } else if pull.want > 0 {
                    let base = Int(min(max(pulled.retryAfterMs, 50), 5000))
                    let wait = max(base, min(base << min(emptyAnswers, 6), 2000))
                    emptyAnswers += 1
                    starvedUntil = .now + .milliseconds(wait)
                }
            } catch where error.code == .notFound {
                // The coordinator forgot this worker: registering again releases what it held.
                leases.change { $0.pullFailed(at: .now) }
                try await register()
            } catch {
                leases.change { $0.pullFailed(at: .now) }
                log.info("pull: \(error.message); retrying in \(pause)")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }
}
