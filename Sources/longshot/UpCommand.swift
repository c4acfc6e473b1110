import ArgumentParser
import Foundation
import LongshotCluster

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster: a private PostgreSQL, a coordinator and N workers.",
        discussion: """
            Starts whatever is not already running and keeps the data: after a crash, run it again. \
            Everything lives in the state directory: token, cluster.json, postgres/, data/, run/*.pid, logs/*.log. \
            Stop it with `longshot down`.
            """)

    @Option(help: "How many workers to run (worker-1 ... worker-N).")
    var workers: Int = 2

    @Option(help: ArgumentHelp("The coordinator's control port; events use the next one (default: the previous one, else 7700).", valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp("The host the coordinator binds: 0.0.0.0 lets workers on other machines join (default 127.0.0.1).", valueName: "host"))
    var listen: String?

    @Option(help: "The workers' built-in engine (default: the previous one, else procedural).")
    var engine: String?

    @Option(help: "An engine file for the workers (named engines with model folders; docs/models.md).")
    var engines: String?

    @Option(help: "Slots per worker: windows it renders at once.")
    var slots: Int = 1

    @Flag(inversion: .prefixedNo, help: "Mutual TLS (tls+tcp://) with a private CA made in STATE/tls/ (default: the previous choice, else off).")
    var tls: Bool?

    @Option(help: ArgumentHelp("The state directory (default: $LONGSHOT_STATE_DIR, else ./.longshot).", valueName: "dir"))
    var stateDir: String?

    func run() async throws {
        guard workers >= 0 else { throw fail("--workers must be 0 or more") }
        guard slots >= 1 else { throw fail("--slots must be at least 1") }
        let paths = ClusterEndpoint.stateDirectory(flag: stateDir, environment: ProcessInfo.processInfo.environment)
        let cluster = LocalCluster(stateDirectory: paths.root)
        let report: LocalCluster.Report
        do {
            report = try await cluster.up(
                LocalCluster.Options(
                    workers: workers, port: port, listenHost: listen, engine: engine, slots: slots, engines: engines, tls: tls)
            ) { note($0) }
        } catch {
            throw fail(error.description)
        }
        print("cluster up: coordinator \(report.manifest.coordinator), events \(report.manifest.events), state \(paths.root)")
        if let http = report.manifest.http {
            print("dashboard: \(http)/ (sign in with the token in \(paths.clientToken), or \(paths.token) as admin)")
            print("metrics: \(http)/metrics (health: /healthz, /readyz)")
        }
        if let status = report.status, !status.workers.isEmpty {
            print(status.workersTable())
        }
        if paths.root != ClusterPaths(root: ".longshot").root {
            print("client commands: longshot status --state-dir \(paths.root)  (or export LONGSHOT_STATE_DIR=\(paths.root))")
        }
    }
}
