import ArgumentParser
import Foundation
import LongshotCoordinator
import LongshotRender

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

    @Option(help: "The cluster token (or LONGSHOT_TOKEN): requests without it are refused.")
    var token: String?

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
        guard let token = token ?? env["LONGSHOT_TOKEN"], !token.isEmpty else {
            throw fail("token: give --token or set LONGSHOT_TOKEN (any secret string; workers and clients need the same)")
        }
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
            dataDirectory: URL(fileURLWithPath: dataDir), token: token, version: Provenance.version)
        config.leaseTTL = .seconds(leaseTtl)
        config.idleRetryAfter = .milliseconds(idleRetryMs)
        config.checkpointEvery = checkpointEvery
        config.checkpointMinInterval = .milliseconds(checkpointMinIntervalMs)
        config.contexts = contexts
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(config: config)
        } catch {
            throw fail("cannot start the coordinator: \(error)")
        }
        let trap = SignalTrap { _ in coordinator.stop() }
        defer { withExtendedLifetime(trap) {} }
        do {
            try await coordinator.run()
        } catch {
            if !(coordinator.isStoppedPublic) { throw fail("coordinator: \(error)") }
        }
    }
}
