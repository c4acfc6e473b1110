import Foundation
import Logging
import LongshotLogging
import LongshotProtocol
import LongshotStore
import LongshotTransport
import Synchronization

/// The coordinator: validates and stores jobs, grants leases to workers that pull, expires leases of
/// silent workers, retries failed windows, stitches and encodes finished jobs, publishes events.
///
/// Everything it knows is in PostgreSQL: kill it at any point, start it again, and it carries on from
/// the database (finished windows are never recomputed; a job caught mid-encode is encoded again).
public final class Coordinator: Sendable {
    public let config: CoordinatorConfig
    let database: DatabasePool
    let events: EventBus
    let jobs = JobCatalog()
    let log: Logger
    let startedAt = Date()
    let finishing = Mutex<Set<String>>([])
    /// Jobs whose finish ran out of disk space (told once each; see ``waitForSpace(_:_:)``).
    let outOfSpace = Mutex<Set<String>>([])
    /// Window counts and lease holders' names for events (see ``publish(_:lease:)``).
    let eventDetails = Mutex(EventDetails())
    /// The window each live lease works on, for progress events (derived: rebuilt from the database on a miss).
    let leaseWindows = Mutex<[String: (job: String, index: Int)]>([:])
    /// Each worker's engines, as its last heartbeat reported them (memory only: heartbeats refresh it).
    let engineStates = Mutex<[String: [Longshot_V1_EngineState]]>([:])
    /// Live codenoise group leases (derived: rebuilt from the database on a miss).
    let groupLeases = Mutex<[String: GroupLeaseInfo]>([:])
    /// Worker session hashes to worker ids (derived: looked up in the database on a miss).
    let sessions = Mutex<[String: String]>([:])
    /// Lease ids to the worker each was granted to (immutable once granted; looked up on a miss).
    let leaseHolders = Mutex<[String: String]>([:])
    /// The codenoise step barrier (in memory; a restart rolls groups back to their checkpoint floor).
    let board = StepBoard()
    /// The newest preview of each window or group (memory only; see ``PreviewStore``).
    let previews = PreviewStore()
    private let server: Mutex<RepServer?> = Mutex(nil)
    /// Held while this coordinator is the active one on its database.
    let leader: LeaderLock
    private let stopped = Atomic<Bool>(false)

    /// Connects to PostgreSQL (waiting for it), applies migrations and opens the event socket.
    public init(config: CoordinatorConfig) throws {
        self.config = config
        self.log = Logger(label: "coordinator") { label in FarmLogHandler(label: label, format: config.logFormat, level: config.logLevel) }
        try Self.checkWritable(config.dataDirectory)
        database = try DatabasePool(
            url: config.databaseURL, size: config.databaseConnections, connectFor: config.databaseRetry,
            retryFor: config.operationRetry, blockAfterFailures: config.blockAfterFailures)
        events = try EventBus(listen: config.events, tls: config.tls)
        leader = LeaderLock(url: config.databaseURL)
    }

    /// Creates the data directory and proves it takes a file, so an unwritable or full disk is one line at
    /// start rather than a failed job later.
    static func checkWritable(_ directory: URL) throws {
        let path = directory.path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CoordinatorStartError("data-dir: cannot create \(path): \(error.localizedDescription)")
        }
        let probe = directory.appendingPathComponent(".write-test-\(getpid())")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoordinatorStartError("data-dir: cannot write in \(path): \(String(cString: strerror(errno)))") }
        let bytes = [UInt8](repeating: 0, count: 1 << 16)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let problem = written == bytes.count && fsync(fd) == 0 ? nil : String(cString: strerror(errno))
        close(fd)
        unlink(probe.path)
        if let problem { throw CoordinatorStartError("data-dir: cannot write in \(path): \(problem)") }
    }

    /// The control address actually bound (resolves port 0).
    public var boundAddress: String? { server.withLock { $0?.boundAddress } }
    public var eventsAddress: String { events.address }

    /// Waits to be the active coordinator on the database (a standby until the active one stops), then
    /// serves until `stop()`, or until another coordinator has taken over.
    public func run() async throws {
        guard try await becomeActive() else { return }
        // The halos exchanged since each codenoise job's checkpoint floor were in the previous
        // coordinator's memory: resume those jobs from the floor, before any worker is answered.
        let rolledBack = try await database.run { try $0.rollBackRunningGroups(reason: "the coordinator restarted") }
        for (job, step) in rolledBack {
            log.info("job \(job): codenoise groups resume from their common checkpoint at step \(step)", metadata: ["job.id": "\(job)"])
        }
        let repServer = try RepServer(
            listen: config.listen, contexts: config.contexts, options: TransportOptions(tls: config.tls),
            maxConnections: config.maxConnections,
            oversizeReply: { size, limit in Longshot_V1_Response.tooLargeReply(size: size, limit: limit) }
        ) { [self] bytes in await self.handle(bytes) }
        server.withLock { $0 = repServer }
        log.info("coordinator \(config.version) listening on \(repServer.boundAddress), events on \(events.address), data in \(config.dataDirectory.path)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await repServer.run() }
            group.addTask { await self.sweepLoop() }
            if let retention = config.jobRetention { group.addTask { await self.retentionLoop(retention) } }
            group.addTask { await self.webhookLoop() }
            group.addTask { try await self.holdLeadership() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Stops serving; in-flight database transactions complete or roll back on their own.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        log.info("stopping")
        server.withLock { $0?.close() }
        events.close()
        let leader = leader
        Task { await leader.release() }
    }

    var isStopped: Bool { stopped.load(ordering: .relaxed) }
    /// True once `stop()` was called.
    public var isStoppedPublic: Bool { isStopped }
}

/// Why a coordinator cannot start, in one line.
struct CoordinatorStartError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
