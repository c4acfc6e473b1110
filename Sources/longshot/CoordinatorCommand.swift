import ArgumentParser
import Foundation
import LongshotAuth
import LongshotCoordinator
import LongshotDashboard
import LongshotHTTP
import LongshotMetrics
import LongshotRender
import ServiceLifecycle

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator", abstract: "Run the coordinator: jobs, leases, stitching and encoding.")

    @Option(help: "Control address (REQ/REP) for workers and clients.")
    var listen = "tcp://0.0.0.0:7700"

    @Option(help: "Events address (PUB) for `watch` (default: the control port + 1).")
    var events: String?

    @Option(help: "PostgreSQL URL (or LONGSHOT_DATABASE_URL).")
    var database: String?

    @Option(help: "Where finished videos are kept.")
    var dataDir = "./longshot-data"

    @Option(help: "A credentials file (or LONGSHOT_CREDENTIALS): named worker, client and admin tokens, mode 0600 (docs/security.md).")
    var credentials: String?

    @Option(help: "A worker credential (or LONGSHOT_WORKER_TOKEN), named 'worker'; added to --credentials.")
    var workerToken: String?

    @Option(help: "A client credential (or LONGSHOT_CLIENT_TOKEN), named 'client': submits, reads, cancels its own jobs.")
    var clientToken: String?

    @Option(help: "An admin credential (or LONGSHOT_ADMIN_TOKEN), named 'admin': any job, and drain/block workers.")
    var adminToken: String?

    @Option(help: .hidden)
    var token: String?

    @Option(help: "Connections served at once; further ones are closed as they arrive.")
    var maxConnections: Int = 1024

    @Flag(help: "Keep finished jobs' window results after their video is stored, so a rerun of some windows renders only those (default: deleted; a rerun renders every window).")
    var keepWindowResults = false

    @Option(help: "Delete ended jobs (succeeded, failed, cancelled) with their videos this long after they ended: 30d, 12h, 90m, 45s (default: kept until `longshot delete`).")
    var jobRetention: String?

    @Option(help: ArgumentHelp("Serve the web dashboard, /metrics (Prometheus), /healthz and /readyz over HTTP at HOST:PORT (default: off; `up` serves it on 127.0.0.1 at the control port + 2).", valueName: "host:port"))
    var http: String?

    @Option(help: ArgumentHelp("POST every job's end state as JSON to URL (repeatable); retried with back-off until it answers 2xx.", valueName: "url"))
    var webhook: [String] = []

    @Option(help: ArgumentHelp("Let jobs name their own webhook (`submit --notify URL`) when it starts with PREFIX (repeatable; default: none may).", valueName: "prefix"))
    var webhookAllow: [String] = []

    @Option(help: ArgumentHelp("Sign webhook calls: X-Longshot-Signature: sha256=HMAC-SHA256(the file's bytes, body).", valueName: "file"))
    var webhookSecret: String?

    @OptionGroup var tls: TLSOptions

    @OptionGroup var logging: LogOptions

    @Option(help: "Seconds a lease lasts without renewal.")
    var leaseTtl: Int = 15

    @Option(help: "Milliseconds an idle worker waits before asking for work again; workers subscribed to the events address are also woken as soon as work appears, so this is only the fallback.")
    var idleRetryMs: Int = 300

    @Option(help: "Codenoise groups save their latents after every this many steps (or LONGSHOT_CHECKPOINT_EVERY; default 4) ...")
    var checkpointEvery: Int?

    @Option(help: "... but not sooner than this after their previous checkpoint (or LONGSHOT_CHECKPOINT_MIN_INTERVAL_MS; default 2000). A lost worker or coordinator costs the steps since a group's last checkpoint (docs/codenoise.md).")
    var checkpointMinIntervalMs: Int?

    @Option(help: "Requests served at once; every codenoise group waiting at a step barrier holds one.")
    var contexts: Int = 512

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = database ?? env["LONGSHOT_DATABASE_URL"] else {
            throw fail("database: give --database URL or set LONGSHOT_DATABASE_URL")
        }
        let credentials = try loadCredentials(env)
        guard (1...65536).contains(maxConnections) else { throw fail("max-connections: \(maxConnections) is out of range 1-65536") }
        guard (1...3600).contains(leaseTtl) else { throw fail("lease-ttl: \(leaseTtl) s is out of range 1-3600") }
        let checkpointEvery = checkpointEvery ?? env["LONGSHOT_CHECKPOINT_EVERY"].flatMap { Int($0) } ?? CoordinatorConfig.defaultCheckpointEvery
        let checkpointMinIntervalMs = checkpointMinIntervalMs ?? env["LONGSHOT_CHECKPOINT_MIN_INTERVAL_MS"].flatMap { Int($0) } ?? 2000
        guard (0...3_600_000).contains(checkpointMinIntervalMs) else {
            throw fail("checkpoint-min-interval-ms: \(checkpointMinIntervalMs) is out of range 0-3600000")
        }
        guard (1...1000).contains(checkpointEvery) else { throw fail("checkpoint-every: \(checkpointEvery) steps is out of range 1-1000") }
        guard (4...4096).contains(contexts) else { throw fail("contexts: \(contexts) is out of range 4-4096") }
        guard (50...5000).contains(idleRetryMs) else { throw fail("idle-retry-ms: \(idleRetryMs) ms is out of range 50-5000") }
        var config = CoordinatorConfig(
            listen: listen, events: events ?? CoordinatorConfig.defaultEvents(for: listen), databaseURL: url,
            dataDirectory: URL(fileURLWithPath: dataDir), credentials: credentials, version: Provenance.version)
        config.leaseTTL = .seconds(leaseTtl)
        if let jobRetention {
            guard let retention = RetentionPeriod.parse(jobRetention) else {
                throw fail("job-retention: '\(jobRetention)' is not a period like 30d, 12h, 90m or 45s (at least 1s)")
            }
            config.jobRetention = retention
        }
        config.idleRetryAfter = .milliseconds(idleRetryMs)
        config.checkpointEvery = checkpointEvery
        config.checkpointMinInterval = .milliseconds(checkpointMinIntervalMs)
        config.contexts = contexts
        config.maxConnections = maxConnections
        config.keepWindowResults = keepWindowResults
        config.tls = try tls.settings(env)
        (config.logFormat, config.logLevel) = try logging.settings()
        for url in webhook {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
                throw fail("webhook: '\(url)' is not an http:// or https:// URL")
            }
        }
        config.webhooks = webhook
        for prefix in webhookAllow where !(prefix.hasPrefix("http://") || prefix.hasPrefix("https://")) || prefix.split(separator: "/").count < 2 {
            throw fail("webhook-allow: '\(prefix)' is not an http:// or https:// URL prefix with a host (e.g. https://hooks.example.com/)")
        }
        config.webhookAllow = webhookAllow
        if let path = webhookSecret {
            guard let secret = FileManager.default.contents(atPath: path), !secret.isEmpty else {
                throw fail("webhook-secret: cannot read \(path), or it is empty")
            }
            config.webhookSecret = Array(secret)
        }
        let httpAddress = try http.map { text in
            guard let address = HTTPAddress(text) else { throw fail("http: '\(text)' is not HOST:PORT (e.g. 127.0.0.1:7702)") }
            return address
        }
        if httpAddress != nil {
            FarmMetrics.bootstrap()
            FarmMetrics.registerCoordinatorMetrics()
            config.metrics = true
        }
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(config: config)
        } catch {
            throw fail("cannot start the coordinator: \(error)")
        }
        // The HTTP server first: a graceful shutdown stops the coordinator first, and probes see "stopping".
        var services: [any Service] = []
        if let address = httpAddress {
            let dashboard = Dashboard { body, token in await coordinator.answer(body, token: token) }
            services.append(HTTPRunner(server: StatusServer(
                address: address,
                readiness: {
                    coordinator.isStoppedPublic ? "stopping" : coordinator.boundAddress == nil ? "standby: another coordinator is active" : nil
                },
                routes: { dashboard.register(on: $0) })))
        }
        services.append(CoordinatorRunner(coordinator: coordinator))
        do {
            try await runServices(services, label: "coordinator")
        } catch let lost as LeadershipLost {
            throw fail("coordinator: \(lost)")
        } catch let error as StatusServerError {
            throw fail(error.message)
        } catch {
            if !(coordinator.isStoppedPublic) { throw fail("coordinator: \(error)") }
        }
    }

    /// The credentials file plus the tokens given one by one; refuses a coordinator nobody could use.
    private func loadCredentials(_ env: [String: String]) throws -> Credentials {
        if token != nil {
            throw fail(
                "token: one shared token is no longer accepted: give --worker-token and --client-token (and --admin-token), or --credentials FILE")
        }
        let result: Credentials
        do {
            result = try gatherCredentials(env)
        } catch {
            throw fail(error.message.hasPrefix("credentials:") ? error.message : "credentials: \(error.message)")
        }
        guard result.count(.worker) > 0 else {
            throw fail("credentials: no worker credential: give --worker-token, or list workers in --credentials FILE")
        }
        guard result.count(.client) + result.count(.admin) > 0 else {
            throw fail("credentials: no client or admin credential: give --client-token or --admin-token, or list them in --credentials FILE")
        }
        return result
    }

    private func gatherCredentials(_ env: [String: String]) throws(CredentialsError) -> Credentials {
        var result = Credentials()
        if let path = credentialsPath(env) { result = try Credentials.load(path: path) }
        let single: [(token: String?, name: String, role: Role)] = [
            (workerToken ?? env["LONGSHOT_WORKER_TOKEN"], "worker", .worker),
            (clientToken ?? env["LONGSHOT_CLIENT_TOKEN"], "client", .client),
            (adminToken ?? env["LONGSHOT_ADMIN_TOKEN"], "admin", .admin),
        ]
        for entry in single {
            guard let token = entry.token, !token.isEmpty else { continue }
            try result.add(token: token, as: Identity(name: entry.name, role: entry.role))
        }
        return result
    }

    private func credentialsPath(_ env: [String: String]) -> String? {
        credentials ?? env["LONGSHOT_CREDENTIALS"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
