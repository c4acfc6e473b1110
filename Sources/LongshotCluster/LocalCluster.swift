import Foundation
import LongshotClient
import LongshotProtocol
import LongshotStore
import LongshotTransport

/// A cluster on this machine for a newcomer and for tests: a private PostgreSQL, a coordinator and N
/// workers, all started from the running `longshot` executable and detached from it, with their pid
/// files, logs, token and addresses in one state directory (``ClusterPaths``).
///
/// ``up(_:progress:)`` starts whatever is not already running and keeps the data, so running it again
/// after a crash restarts only the missing parts; ``down(progress:)`` stops everything.
public struct LocalCluster: Sendable {
    /// How to start the cluster.
    public struct Options: Sendable {
        /// Workers to run: `worker-1` ... `worker-N`.
        public var workers: Int
        /// The control port (events on the next port); nil keeps the previous one, else 7700.
        public var port: Int?
        /// The host the coordinator binds, e.g. `0.0.0.0` for other machines; nil keeps the previous one, else 127.0.0.1.
        public var listenHost: String?
        /// The workers' engine; nil keeps the previous one, else `procedural`.
        public var engine: String?
        /// An engine file for the workers; nil keeps the previous one (if any).
        public var engines: String?
        /// Slots per worker.
        public var slots: Int
        /// Mutual TLS with a private CA (certificates in `STATE/tls/`); nil keeps the previous choice.
        public var tls: Bool?
        /// The `longshot` executable the processes run.
        public var executable: String
        /// How long to wait for the coordinator to answer.
        public var readyTimeout: Duration

        public init(
            workers: Int, port: Int? = nil, listenHost: String? = nil, engine: String? = nil, slots: Int = 1,
            engines: String? = nil, tls: Bool? = nil, executable: String = ProcessProbe.currentExecutable(),
            readyTimeout: Duration = .seconds(60)
        ) {
            self.engines = engines
            self.tls = tls
            self.workers = workers
            self.port = port
            self.listenHost = listenHost
            self.engine = engine
            self.slots = slots
            self.executable = executable
            self.readyTimeout = readyTimeout
        }
    }

    /// One process of the cluster and what `up` or `down` did with it.
    public struct Member: Sendable, Equatable {
        public enum Action: String, Sendable { case started, running, stopped, killed, absent }
        public var name: String
        public var pid: pid_t?
        public var action: Action
    }

    /// What `up` left running.
    public struct Report: Sendable {
        public var manifest: ClusterManifest
        public var members: [Member]
        public var status: Longshot_V1_ClusterStatus?
    }

    /// The state directory.
    public let paths: ClusterPaths

    public init(stateDirectory: String) {
        paths = ClusterPaths(root: stateDirectory)
    }

    /// The default control port.
    public static let defaultPort = 7700

    /// Starts what is not running. `progress` receives one line per step.
    /// - Throws: ``LocalClusterError``; a coordinator that does not come up includes its log's tail.
    public func up(_ options: Options, progress: @Sendable (String) -> Void = { _ in }) async throws(LocalClusterError)
        -> Report
    {
        guard options.workers >= 0 else { throw LocalClusterError("--workers must be 0 or more") }
        for dir in [paths.root, paths.run, paths.logs, paths.data] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw LocalClusterError("cannot create \(dir): \(error.localizedDescription)")
            }
        }
        // Videos, logs (prompts, errors) and pid files are this user's alone; the state directory itself stays
        // traversable, since as root the private PostgreSQL's own directory may sit inside it.
        for dir in [paths.run, paths.logs, paths.data] { chmod(dir, 0o700) }
        let credentials = try LocalCredentials.prepare(paths)
        let token = credentials.admin
        let coordinatorPID = PidFile(path: paths.pidFile("coordinator"), role: "coordinator")
        let previous = try ClusterManifest.load(from: paths.manifest)
        var manifest = try plan(options, previous: previous)
        if let previous, coordinatorPID.livePID != nil, previous.listen != manifest.listen {
            progress("coordinator already listening on \(previous.listen): keeping it (run `longshot down` first to change the address)")
            manifest.listen = previous.listen
            manifest.eventsListen = previous.eventsListen
            manifest.coordinator = previous.coordinator
            manifest.events = previous.events
        }

        // PostgreSQL.
        let postgres: LocalPostgresServer
        do {
            postgres = try LocalPostgresServer(directory: manifest.postgresDirectory)
            let wasRunning = postgres.isRunning
            try postgres.start()
            progress(wasRunning ? "postgres: running (\(postgres.directory))" : "postgres: started (\(postgres.directory))")
        } catch {
            throw LocalClusterError("\(error)")
        }
        manifest.database = postgres.url
        let tls = LocalTLS(paths)
        var clientTLS: TLSSettings?
        var tlsArguments: (String) -> [String] = { _ in [] }
        if manifest.tls == true {
            try tls.prepare(hosts: [NNGAddress.host(manifest.listen) ?? "127.0.0.1"])
            clientTLS = tls.settings("client")
            tlsArguments = { role in
                let s = tls.settings(role)
                return ["--tls-ca", s.caFile, "--tls-cert", s.certificateFile, "--tls-key", s.keyFile]
            }
            progress("tls: mutual TLS with the private CA in \(tls.directory)")
        }
        try manifest.save(to: paths.manifest)

        var members: [Member] = []
        // Each process gets only its own credential: the coordinator its file, workers theirs.
        let coordinatorEnvironment = ["LONGSHOT_CREDENTIALS": paths.credentials]
        let workerEnvironment = ["LONGSHOT_WORKER_TOKEN": credentials.worker]

        // Coordinator.
        if let pid = coordinatorPID.livePID {
            members.append(Member(name: "coordinator", pid: pid, action: .running))
        } else {
            let pid = try DetachedProcess.spawn(
                executable: options.executable,
                arguments: [
                    "coordinator", "--listen", manifest.listen, "--events", manifest.eventsListen, "--database",
                    manifest.database, "--data-dir", paths.data,
                ] + (manifest.http.map { ["--http", String($0.dropFirst("http://".count))] } ?? []) + tlsArguments("coordinator"),
                environment: coordinatorEnvironment, logPath: paths.logFile("coordinator"))
            try coordinatorPID.write(pid)
            members.append(Member(name: "coordinator", pid: pid, action: .started))
        }
        progress("coordinator: \(members[0].action.rawValue) (pid \(members[0].pid ?? 0), \(manifest.listen))")
        var status = try await waitUntilReady(
            manifest: manifest, token: token, tls: clientTLS, pid: members[0].pid, timeout: options.readyTimeout)

        // Workers.
        for i in stride(from: 1, through: options.workers, by: 1) {
            let name = "worker-\(i)"
            let file = PidFile(path: paths.pidFile(name), role: "worker")
            // A live process the coordinator lists as offline has stopped heartbeating (stuck): replace it.
            // (Only with a coordinator that was already running: a freshly started one has not heard anyone yet.)
            if members[0].action == .running, let pid = file.livePID,
                status.workers.contains(where: { $0.name == name && $0.state == .offline })
            {
                progress("\(name): pid \(pid) is alive but the coordinator has heard nothing from it (offline): restarting it")
                kill(pid, SIGKILL)
                _ = await ProcessProbe.waitForExit(pid, timeout: .seconds(5))
                file.remove()
            }
            if let pid = file.livePID {
                members.append(Member(name: name, pid: pid, action: .running))
            } else {
                let pid = try DetachedProcess.spawn(
                    executable: options.executable,
                    arguments: [
                        "worker", "--coordinator", manifest.coordinator, "--slots", String(options.slots), "--name", name,
                    ] + (manifest.engines.map { ["--engines", $0] } ?? ["--engine", manifest.engine]) + tlsArguments("worker"),
                    environment: workerEnvironment, logPath: paths.logFile(name))
                try file.write(pid)
                members.append(Member(name: name, pid: pid, action: .started))
            }
            progress("\(name): \(members.last!.action.rawValue) (pid \(members.last!.pid ?? 0))")
        }
        let wanted = members.dropFirst().map(\.name)
        // Workers beyond the number asked for (a smaller --workers than last time) stop, as `down` stops them.
        let extra = paths.workerNames().filter { (Int($0.dropFirst("worker-".count)) ?? 0) > options.workers }
        for member in await stop(extra.map { PidFile(path: paths.pidFile($0), role: "worker") }, grace: .seconds(30), progress: progress) {
            members.append(member)
        }
        if options.workers > 0, let joined = await waitForWorkers(
            wanted, manifest: manifest, token: token, tls: clientTLS, timeout: .seconds(15))
        {
            status = joined
        }
        return Report(manifest: manifest, members: members, status: status)
    }

    /// Stops the workers (SIGTERM, then SIGKILL after `workerGrace`), then the coordinator, then PostgreSQL.
    public func down(
        workerGrace: Duration = .seconds(30), coordinatorGrace: Duration = .seconds(15),
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws(LocalClusterError) -> [Member] {
        var members: [Member] = []
        let workers = paths.workerNames().map { PidFile(path: paths.pidFile($0), role: "worker") }
        members += await stop(workers, grace: workerGrace, progress: progress)
        members += await stop([PidFile(path: paths.pidFile("coordinator"), role: "coordinator")], grace: coordinatorGrace, progress: progress)
        if let manifest = try ClusterManifest.load(from: paths.manifest),
            FileManager.default.fileExists(atPath: manifest.postgresDirectory)
        {
            do {
                let postgres = try LocalPostgresServer(directory: manifest.postgresDirectory)
                let wasRunning = postgres.isRunning
                try postgres.stop()
                progress(wasRunning ? "postgres: stopped" : "postgres: not running")
            } catch {
                throw LocalClusterError("\(error)")
            }
        }
        return members
    }

    /// Signals every live process in `files` with SIGTERM, waits up to `grace`, then SIGKILLs the rest.
    private func stop(_ files: [PidFile], grace: Duration, progress: @Sendable (String) -> Void) async -> [Member] {
        var members: [Member] = []
        var live: [(PidFile, pid_t)] = []
        for file in files {
            let name = URL(fileURLWithPath: file.path).deletingPathExtension().lastPathComponent
            if let pid = file.livePID {
                kill(pid, SIGTERM)
                live.append((file, pid))
            } else {
                file.remove()
                members.append(Member(name: name, pid: nil, action: .absent))
                progress("\(name): not running")
            }
        }
        for (file, pid) in live {
            let name = URL(fileURLWithPath: file.path).deletingPathExtension().lastPathComponent
            var action = Member.Action.stopped
            if !(await ProcessProbe.waitForExit(pid, timeout: grace)) {
                kill(pid, SIGKILL)
                _ = await ProcessProbe.waitForExit(pid, timeout: .seconds(5))
                action = .killed
            }
            file.remove()
            members.append(Member(name: name, pid: pid, action: action))
            progress("\(name): \(action == .killed ? "killed after \(grace)" : "stopped") (pid \(pid))")
        }
        return members
    }

    /// The addresses and settings for this `up`, from the options, else the previous manifest, else defaults.
    func plan(_ options: Options, previous: ClusterManifest?) throws(LocalClusterError) -> ClusterManifest {
        let previousPort = previous.flatMap { URL(string: $0.listen)?.port }
        let port = options.port ?? previousPort ?? Self.defaultPort
        guard (1...65534).contains(port) else { throw LocalClusterError("--port \(port) is not a port number (1-65534)") }
        let host = options.listenHost ?? previous.flatMap { NNGAddress.host($0.listen) } ?? "127.0.0.1"
        let dialHost = NNGAddress.isWildcard(host) ? "127.0.0.1" : host
        let tls = options.tls ?? previous?.tls ?? false
        let scheme = tls ? "tls+tcp" : "tcp"
        var manifest = ClusterManifest(
            coordinator: "\(scheme)://\(dialHost):\(port)", events: "\(scheme)://\(dialHost):\(port + 1)",
            listen: "\(scheme)://\(host):\(port)", eventsListen: "\(scheme)://\(host):\(port + 1)",
            database: previous?.database ?? "",
            postgresDirectory: previous?.postgresDirectory ?? postgresDirectory(),
            engine: options.engine ?? previous?.engine ?? "procedural", workers: options.workers,
            engines: options.engines.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? (options.engine == nil ? previous?.engines : nil))
        manifest.tls = tls ? true : nil
        manifest.http = "http://127.0.0.1:\(port + 2)"
        return manifest
    }

    /// `STATE/postgres`, unless PostgreSQL would run as the `postgres` user (this process is root) and
    /// that user cannot reach the state directory (e.g. it is under `/root`): then a directory under `/tmp`
    /// named after the state directory.
    func postgresDirectory() -> String {
        let preferred = paths.postgres
        guard getuid() == 0, !Self.othersCanTraverse(paths.root) else { return preferred }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in paths.root.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "/tmp/longshot-postgres-" + String(hash, radix: 16)
    }

    /// True when every directory from `/` down to `path` is searchable by users other than its owner.
    static func othersCanTraverse(_ path: String) -> Bool {
        var current = URL(fileURLWithPath: path).standardizedFileURL
        while true {
            var info = stat()
            if stat(current.path, &info) == 0, info.st_mode & S_IXOTH == 0 { return false }
            if current.path == "/" { return true }
            current.deleteLastPathComponent()
        }
    }

    /// Polls GetStatus until the coordinator answers; fails early if its process exits.
    private func waitUntilReady(manifest: ClusterManifest, token: String, tls: TLSSettings?, pid: pid_t?, timeout: Duration)
        async throws(LocalClusterError) -> Longshot_V1_ClusterStatus
    {
        let client: FarmClient
        do {
            client = try FarmClient(address: manifest.coordinator, token: token, timeout: .seconds(2), tls: tls)
        } catch {
            throw LocalClusterError("\(error)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastError = "no answer"
        while clock.now < deadline {
            if let pid, !ProcessProbe.isAlive(pid) {
                var status: Int32 = 0
                waitpid(pid, &status, WNOHANG)
                throw LocalClusterError(
                    "the coordinator exited during start; \(paths.logFile("coordinator")) ends with:\n\(logTail("coordinator"))")
            }
            do {
                if case .clusterStatus(let status) = try await client.call(.getStatus(Longshot_V1_GetStatus()), timeout: .seconds(1)) {
                    return status
                }
                lastError = "unexpected reply to GetStatus"
            } catch let error as FarmClientError {
                if case .rejected(let code) = error.kind, code == .unauthenticated {
                    throw LocalClusterError(
                        "the coordinator at \(manifest.coordinator) refuses this cluster's token (\(error.message)): another cluster holds the port? Run `longshot down` or use --port")
                }
                lastError = error.message
            } catch {
                lastError = "\(error)"
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        throw LocalClusterError(
            "the coordinator did not answer at \(manifest.coordinator) within \(timeout) (\(lastError)); \(paths.logFile("coordinator")) ends with:\n\(logTail("coordinator"))")
    }

    /// Waits until every named worker shows in the status and is not offline; returns the last status (nil on no answer).
    private func waitForWorkers(_ names: [String], manifest: ClusterManifest, token: String, tls: TLSSettings?, timeout: Duration)
        async -> Longshot_V1_ClusterStatus?
    {
        guard let client = try? FarmClient(address: manifest.coordinator, token: token, timeout: .seconds(2), tls: tls) else {
            return nil
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: Longshot_V1_ClusterStatus?
        while clock.now < deadline {
            if case .clusterStatus(let status)? = try? await client.call(.getStatus(Longshot_V1_GetStatus()), timeout: .seconds(2)) {
                last = status
                let online = Set(status.workers.filter { $0.state != .offline }.map(\.name))
                if names.allSatisfy(online.contains) { return status }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return last
    }

    /// The last lines of a process's log.
    public func logTail(_ name: String, lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: paths.logFile(name), encoding: .utf8)) ?? "(empty)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
