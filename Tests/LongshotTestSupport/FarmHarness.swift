import Foundation
import LongshotCluster
import LongshotStore
import LongshotTransport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway farm for one test: a fresh database (on the test process's PostgreSQL, or on a server the
/// test passes in), a coordinator process and worker processes of the real `longshot` binary, each with
/// its log in a scratch directory, on free ports, with random credentials (worker, client, admin) and a
/// short lease TTL.
///
/// Every process it starts is SIGKILLed by ``shutdown()`` (call it in a `defer`) and, should the test
/// process exit without it, by an `atexit` hook. Every wait is bounded.
///
/// ```swift
/// let farm = try FarmHarness("kill-worker", workers: 2, engine: "synthetic")
/// defer { farm.shutdown() }
/// let id = try farm.submit("a red ball", FarmHarness.smallJob + ["--engine", "synthetic", "--model", "300"])
/// ```
public final class FarmHarness: @unchecked Sendable {
    /// Where logs, the coordinator's data and downloaded videos go (deleted by ``shutdown()`` unless kept).
    public let scratch: ScratchDirectory
    /// The admin credential: what the CLI commands of a test present (`LONGSHOT_TOKEN`).
    public let token: String
    /// A client credential (named `client`): submits, reads, cancels its own jobs.
    public let clientToken: String
    /// The workers' credential (named `worker`).
    public let workerToken: String
    public let databaseURL: String
    /// The coordinator's control address, e.g. tcp://127.0.0.1:41234; with a standby, both coordinators'
    /// addresses, comma-separated (what workers and clients dial).
    public let address: String
    /// The coordinator's events (PUB) address (the first coordinator's).
    public let eventsAddress: String
    /// Each coordinator slot's control and events address: one slot, or two with a standby.
    public let listenAddresses: [(control: String, events: String)]
    public let leaseTTL: Int
    public let dataDirectory: URL
    /// Extra arguments of every coordinator start (e.g. `--watchdog-seconds 3`).
    public let coordinatorArguments: [String]
    /// Set on top of ``environment`` for the coordinator (e.g. a PATH without Python).
    public let coordinatorEnvironment: [String: String]
    /// Mutual TLS (`tls+tcp://`, a private CA in the scratch directory): with `tls: true`, or for every farm
    /// when `LONGSHOT_FARM_TLS=1` (the whole farm suite over TLS).
    public let tls: LocalTLS?

    private let lock = NSLock()
    private var coordinatorProcesses: [Int: FarmProcess] = [:]
    private var coordinatorStarts = 0
    private var workerProcesses: [String: FarmProcess] = [:]
    private var finished: [FarmProcess] = []
    private var cleanups: [() -> Void] = []

    /// A small job: 6 s at 12 fps, 160x96, 8 steps, windows of 8 latent frames overlapping by 2 (6 windows),
    /// encoded losslessly, so a test's decoded frames are the denoised frames exactly (lossy encodes are
    /// bit-identical too, since x264 runs on one thread: FarmTests/Hardening).
    public static let smallShape = [
        "--duration", "6", "--fps", "12", "--size", "160x96", "--steps", "8", "--window", "8", "--overlap", "2",
        "--quality", "0",
    ]
    /// The small job, windows rendered alone and cross-faded.
    public static let smallJob = smallShape + ["--fusion", "independent"]
    /// The small job, co-denoised.
    public static let smallCodenoiseJob = smallShape + ["--fusion", "codenoise"]

    /// Prepares a farm; starts the coordinator, then `workers` workers named w1, w2, ... of `engine`.
    /// - Parameters:
    ///   - host: The address the coordinator listens on (127.0.0.1, or a veth address for the netns test).
    ///   - databaseURL: A database to use instead of a fresh one on ``TestPostgres``.
    ///   - coordinatorArguments: Extra arguments for `longshot coordinator`, on every start.
    ///   - coordinatorEnvironment: Set on top of the children's environment for the coordinator.
    public init(
        _ label: String, workers: Int = 0, engine: String = "procedural", leaseTTL: Int = 3,
        host: String = "127.0.0.1", databaseURL: String? = nil, startCoordinator: Bool = true,
        coordinatorArguments: [String] = [], coordinatorEnvironment: [String: String] = [:], tls: Bool? = nil,
        standby: Bool = false
    ) throws {
        scratch = try ScratchDirectory("longshot-farm-\(label)")
        if tls ?? (ProcessInfo.processInfo.environment["LONGSHOT_FARM_TLS"] == "1") {
            let local = LocalTLS(ClusterPaths(root: scratch.url.path))
            try local.prepare(hosts: [host])
            self.tls = local
            let server = local.settings("coordinator")
            self.coordinatorEnvironment = coordinatorEnvironment.merging([
                "LONGSHOT_TLS_CERT": server.certificateFile, "LONGSHOT_TLS_KEY": server.keyFile,
            ]) { $1 }
        } else {
            self.tls = nil
            self.coordinatorEnvironment = coordinatorEnvironment
        }
        token = FarmHarness.randomToken()
        clientToken = FarmHarness.randomToken()
        workerToken = FarmHarness.randomToken()
        self.databaseURL = try databaseURL ?? TestPostgres.freshDatabase()
        let ports = try FarmHarness.freePorts(standby ? 4 : 2, host: host)
        let scheme = self.tls == nil ? "tcp" : "tls+tcp"
        listenAddresses = stride(from: 0, to: ports.count, by: 2).map {
            ("\(scheme)://\(host):\(ports[$0])", "\(scheme)://\(host):\(ports[$0 + 1])")
        }
        address = listenAddresses.map(\.control).joined(separator: ",")
        eventsAddress = listenAddresses[0].events
        self.leaseTTL = leaseTTL
        self.coordinatorArguments = coordinatorArguments
        dataDirectory = scratch.file("data")
        do {
            if startCoordinator { try self.startCoordinator() }
            if workers > 0 {
                for i in 1...workers { try startWorker("w\(i)", engine: engine) }
            }
        } catch {
            print(logTails())
            shutdown(keepScratch: true)
            throw error
        }
    }

    // MARK: - Processes

    /// Starts the coordinator of `slot` (again, after a kill: same address, database and data directory)
    /// and waits until its log says `waitFor`: "listening on" for the active one, "standby:" for a standby.
    /// `extraArguments` are added to ``coordinatorArguments`` for this start.
    @discardableResult
    public func startCoordinator(
        slot: Int = 0, waitFor: String = "listening on", timeout: Duration = .seconds(60), extraArguments: [String] = []
    ) throws -> FarmProcess {
        let n = lock.withLock { () -> Int in
            coordinatorStarts += 1
            return coordinatorStarts
        }
        let process = try FarmProcess.launch(
            name: "coordinator", log: scratch.file("coordinator.\(n).log"),
            arguments: [
                "coordinator", "--listen", listenAddresses[slot].control, "--events", listenAddresses[slot].events,
                // A standby has a data directory of its own, as on another machine.
                "--database", databaseURL, "--data-dir", slot == 0 ? dataDirectory.path : scratch.file("data-\(slot)").path,
                "--lease-ttl", String(leaseTTL),
            ] + coordinatorArguments + extraArguments,
            environment: environment.merging(coordinatorEnvironment) { $1 })
        lock.withLock { coordinatorProcesses[slot] = process }
        try waitForLog(process, containing: waitFor, timeout: timeout)
        return process
    }

    /// The coordinator process of `slot`, if it runs.
    public func coordinator(slot: Int) -> FarmProcess? { lock.withLock { coordinatorProcesses[slot] } }

    /// Starts a worker and waits until it has registered. `prefix` runs it under another command
    /// (e.g. `ip netns exec NS`), which must exec the worker so the pid stays the worker's. `arguments` are
    /// added to its command line (e.g. `--watchdog-seconds 3`), `environment` to its environment.
    @discardableResult
    public func startWorker(
        _ name: String, engine: String = "procedural", slots: Int = 1, coordinator: String? = nil,
        prefix: [String] = [], arguments: [String] = [], environment extra: [String: String] = [:],
        waitForRegistration: Bool = true, timeout: Duration = .seconds(60)
    ) throws -> FarmProcess {
        let process = try FarmProcess.launch(
            name: name, log: scratch.file("worker-\(name).log"),
            arguments: [
                "worker", "--coordinator", coordinator ?? address, "--engine", engine, "--slots", String(slots),
                "--name", name,
            ] + arguments,
            environment: environment.merging(workerTLSEnvironment) { $1 }.merging(extra) { $1 }, prefix: prefix)
        lock.withLock { workerProcesses[name] = process }
        if waitForRegistration { try waitForLog(process, containing: "registered as", timeout: timeout) }
        return process
    }

    /// A worker's own certificate, under TLS.
    private var workerTLSEnvironment: [String: String] {
        guard let worker = tls?.settings("worker") else { return [:] }
        return ["LONGSHOT_TLS_CERT": worker.certificateFile, "LONGSHOT_TLS_KEY": worker.keyFile]
    }

    /// The client certificate for in-process clients, under TLS.
    public var clientTLS: TLSSettings? { tls?.settings("client") }

    /// The running coordinator process.
    public var coordinator: FarmProcess? { coordinator(slot: 0) }

    /// A worker process by name.
    public func worker(_ name: String) -> FarmProcess? { lock.withLock { workerProcesses[name] } }

    /// SIGKILLs the coordinator of `slot` and waits for it to be gone.
    public func killCoordinator(slot: Int = 0) {
        guard let process = lock.withLock({ coordinatorProcesses.removeValue(forKey: slot) }) else { return }
        process.kill9()
        lock.withLock { finished.append(process) }
    }

    /// SIGKILLs a worker and waits for it to be gone.
    public func killWorker(_ name: String) {
        guard let process = lock.withLock({ workerProcesses.removeValue(forKey: name) }) else { return }
        process.kill9()
        lock.withLock { finished.append(process) }
    }

    /// Runs `cleanup` during ``shutdown()`` after the processes are gone (e.g. deleting a network namespace).
    public func onShutdown(_ cleanup: @escaping () -> Void) {
        lock.withLock { cleanups.append(cleanup) }
    }

    /// SIGKILLs every process this farm started, runs the cleanups and deletes the scratch directory
    /// (kept, and its path printed, when `keepScratch`).
    public func shutdown(keepScratch: Bool = false) {
        let (all, hooks) = lock.withLock { () -> ([FarmProcess], [() -> Void]) in
            let all = Array(workerProcesses.values) + Array(coordinatorProcesses.values)
            workerProcesses = [:]
            coordinatorProcesses = [:]
            let hooks = cleanups
            cleanups = []
            return (all, hooks)
        }
        for process in all { process.kill9() }
        for hook in hooks.reversed() { hook() }
        if keepScratch {
            print("farm scratch kept at \(scratch.url.path)")
        } else {
            scratch.remove()
        }
    }

    /// The last lines of every log (coordinator starts, workers), for a failing test.
    public func logTails(lines: Int = 25) -> String {
        let names = ((try? scratch.contents()) ?? []).filter { $0.hasSuffix(".log") }
        return names.map { name in
            let text = (try? String(contentsOf: scratch.file(name), encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            return "----- \(name) (last \(lines) lines) -----\n\(tail)"
        }.joined(separator: "\n")
    }

    /// The full text of a log file in the scratch directory.
    public func log(_ name: String) -> String {
        (try? String(contentsOf: scratch.file(name), encoding: .utf8)) ?? ""
    }

    // MARK: - CLI

    /// 32 random hex characters.
    public static func randomToken() -> String {
        (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
    }

    /// The environment of every child: the credentials (the coordinator's three, the workers', the CLI's
    /// admin one) and the coordinator's address; no local cluster.
    public var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["LONGSHOT_TOKEN"] = token
        env["LONGSHOT_ADMIN_TOKEN"] = token
        env["LONGSHOT_CLIENT_TOKEN"] = clientToken
        env["LONGSHOT_WORKER_TOKEN"] = workerToken
        env.removeValue(forKey: "LONGSHOT_CREDENTIALS")
        for key in ["LONGSHOT_TLS_CA", "LONGSHOT_TLS_CERT", "LONGSHOT_TLS_KEY"] { env.removeValue(forKey: key) }
        if let tls {
            // Clients; the coordinator's and workers' own certificates are set on top.
            let client = tls.settings("client")
            env["LONGSHOT_TLS_CA"] = client.caFile
            env["LONGSHOT_TLS_CERT"] = client.certificateFile
            env["LONGSHOT_TLS_KEY"] = client.keyFile
        }
        env["LONGSHOT_COORDINATOR"] = address
        env["LONGSHOT_STATE_DIR"] = scratch.file("no-local-cluster").path
        env.removeValue(forKey: "LONGSHOT_DATABASE_URL")
        return env
    }

    /// Runs `longshot arguments...` against this farm (bounded by `timeout`; killed past it).
    public func cli(_ arguments: [String], timeout: Duration = .seconds(120)) throws -> LongshotProcess.Result {
        try LongshotProcess.run(arguments, in: scratch.url, fullEnvironment: environment, timeout: timeout)
    }

    /// `longshot submit PROMPT options...`; returns the job id (the first line of its output).
    public func submit(_ prompt: String, _ options: [String]) throws -> String {
        let result = try cli(["submit", prompt] + options)
        guard result.status == 0, let id = result.stdout.split(separator: "\n").first.map(String.init), !id.isEmpty else {
            throw HarnessError("submit failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return id
    }

    /// `longshot fetch JOB -o scratch/NAME`; returns the file.
    public func fetch(_ job: String, as name: String) throws -> URL {
        let url = scratch.file(name)
        let result = try cli(["fetch", job, "-o", url.path])
        guard result.status == 0 else { throw HarnessError("fetch \(job) failed (\(result.status)): \(result.stderr)") }
        return url
    }

    /// `longshot show JOB --json`, parsed.
    public func showJSON(_ job: String) throws -> [String: Any] {
        let result = try cli(["show", job, "--json"])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw HarnessError("show \(job) --json failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return object
    }

    // MARK: - Waiting

    /// Polls `condition` every `poll` until it holds; throws after `timeout` with `what` and the log tails.
    public func waitUntil(
        _ what: String, timeout: Duration = .seconds(90), poll: Duration = .milliseconds(200),
        _ condition: () async throws -> Bool
    ) async throws {
        // Errors from `condition` are retried until the timeout (a coordinator restarting), but a
        // `HopelessWait` ends the wait at once.
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if try await condition() { return }
                lastError = nil
            } catch let hopeless as HopelessWait {
                throw hopeless.error
            } catch {
                lastError = error
            }
            try await Task.sleep(for: poll)
        }
        throw HarnessError(
            "timed out after \(timeout) waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }

    private func waitForLog(_ process: FarmProcess, containing needle: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log(process.log.lastPathComponent).contains(needle) { return }
            if !process.isRunning {
                throw HarnessError("\(process.name) exited (\(process.exitStatus)) before logging '\(needle)':\n\(log(process.log.lastPathComponent))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("\(process.name) did not log '\(needle)' within \(timeout):\n\(log(process.log.lastPathComponent))")
    }

    // MARK: - Ports and videos

    /// `count` distinct TCP ports that were free on `host` a moment ago.
    public static func freePorts(_ count: Int, host: String = "127.0.0.1") throws -> [Int] {
        var ports: [Int] = []
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        while ports.count < count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw HarnessError("socket(): errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw HarnessError("bad IPv4 address \(host)") }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw HarnessError("bind(\(host):0): errno \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    /// A free port whose next two ports are free too (a local cluster's control, events and HTTP ports),
    /// all on 127.0.0.1.
    public static func freePortPair() throws -> Int {
        for _ in 0..<200 {
            let port = try freePorts(1)[0]
            guard port < 65534 else { continue }
            if isFree(port + 1), isFree(port + 2) { return port }
        }
        throw HarnessError("no three free consecutive ports found")
    }

    /// True when a TCP socket can bind 127.0.0.1:`port` now.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Decodes both videos and says how they differ (nil when every frame is identical, bit for bit).
    public static func frameDifference(_ a: URL, _ b: URL) throws -> String? {
        let x = try DecodedVideo(a)
        let y = try DecodedVideo(b)
        if x.frames.count != y.frames.count { return "\(x.frames.count) frames vs \(y.frames.count)" }
        if x.info.width != y.info.width || x.info.height != y.info.height {
            return "size \(x.info.width)x\(x.info.height) vs \(y.info.width)x\(y.info.height)"
        }
        let differing = (0..<x.frames.count).filter { x.frames[$0] != y.frames[$0] }
        guard let first = differing.first else { return nil }
        return "\(differing.count) of \(x.frames.count) frames differ (first: \(first), mean abs error "
            + "\(FrameColor.meanAbsoluteError(x.frames[first], y.frames[first])))"
    }
}

/// A failure of the harness itself (a process that would not start, a wait that timed out).
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Thrown by a ``FarmHarness/waitUntil(_:timeout:poll:_:)`` condition that can never become true (a job
/// that failed while the test waits for success): the wait ends at once with `error`.
public struct HopelessWait: Error {
    public var error: HarnessError
    public init(_ description: String) { error = HarnessError(description) }
}

/// A long-running child process with standard output and error in a log file.
public final class FarmProcess: @unchecked Sendable {
    public let name: String
    public let log: URL
    private let process: Process
    private let handle: FileHandle

    /// The process id (of the worker itself, even under `ip netns exec`, which execs it).
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    /// The exit status (or signal) once it has exited.
    public var exitStatus: Int32 { process.isRunning ? -1 : process.terminationStatus }

    private init(name: String, log: URL, process: Process, handle: FileHandle) {
        self.name = name
        self.log = log
        self.process = process
        self.handle = handle
    }

    /// Starts `longshot arguments...` (after `prefix`, if any) with output appended to `log`.
    public static func launch(
        name: String, log: URL, arguments: [String], environment: [String: String], prefix: [String] = []
    ) throws -> FarmProcess {
        let binary = try LongshotProcess.executable()
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        if let first = prefix.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(prefix.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        ChildRegistry.add(process.processIdentifier)
        return FarmProcess(name: name, log: log, process: process, handle: handle)
    }

    /// SIGKILL, then wait (bounded) until it is reaped.
    public func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        ChildRegistry.remove(process.processIdentifier)
        try? handle.close()
    }
}

/// Every child still running, SIGKILLed when the test process exits (a test that forgot `shutdown()`,
/// or one that threw before its `defer` was set up).
enum ChildRegistry {
    private static let pids = Mutex<Set<Int32>>([])
    private static let installed: Bool = {
        atexit { ChildRegistry.killAll() }
        return true
    }()

    static func add(_ pid: Int32) {
        _ = installed
        pids.withLock { _ = $0.insert(pid) }
    }

    static func remove(_ pid: Int32) { pids.withLock { _ = $0.remove(pid) } }

    static func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
