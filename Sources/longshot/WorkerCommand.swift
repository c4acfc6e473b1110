import ArgumentParser
import Foundation
import LongshotEngines
import LongshotHTTP
import LongshotMetrics
import LongshotRender
import LongshotWorker
import ServiceLifecycle

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker: pull windows from a coordinator and denoise them.")

    @Option(help: "The coordinator's control address (or LONGSHOT_COORDINATOR).")
    var coordinator: String?

    @Option(help: "The engines this worker offers: a YAML file of named engines (kind, model folder, device, command; see docs/models.md). Jobs name one of them.")
    var engines: String?

    @Option(help: "Without --engines: a built-in engine to offer under its own name (procedural or synthetic).")
    var engine = "procedural"

    @Option(help: "Windows rendered at once.")
    var slots = 1

    @Option(help: "A unique name for this worker (default: HOST-PID).")
    var name: String?

    @Option(help: "This worker's credential: a worker token of the coordinator (or LONGSHOT_WORKER_TOKEN).")
    var token: String?

    @Option(help: "Restart this worker in place (same pid and arguments) when the coordinator has answered nothing for this many seconds (0: never).")
    var watchdogSeconds: Int = 120

    @Option(help: ArgumentHelp("Serve /metrics (Prometheus), /healthz and /readyz over HTTP at HOST:PORT (default: off).", valueName: "host:port"))
    var metrics: String?

    @Option(help: "Send the coordinator's dashboard a preview of each window (a few frames decoded from the current prediction) at most every this many seconds (0: never).")
    var previewSeconds: Double = 2

    @OptionGroup var tls: TLSOptions

    @OptionGroup var logging: LogOptions

    func run() async throws {
        Reexec.recordInheritedDescriptors()
        let env = ProcessInfo.processInfo.environment
        guard let address = coordinator ?? env["LONGSHOT_COORDINATOR"] else {
            throw fail("coordinator: give --coordinator tcp://HOST:7700 or set LONGSHOT_COORDINATOR")
        }
        guard let token = token ?? env["LONGSHOT_WORKER_TOKEN"], !token.isEmpty else {
            throw fail("token: give --token or set LONGSHOT_WORKER_TOKEN (a worker credential of the coordinator; a local cluster's is STATE/worker-token)")
        }
        let entries: [EngineEntry]
        if let engines {
            do {
                entries = try EngineFile.load(engines)
            } catch {
                throw fail(error.description)
            }
        } else {
            guard ["procedural", "synthetic"].contains(engine), let entry = EngineEntry.shorthand(engine: engine, model: "") else {
                throw fail("engine: '\(engine)' is not a built-in engine (procedural, synthetic); engines with a model or a command come from an engine file: --engines FILE")
            }
            entries = [entry]
        }
        guard (1...256).contains(slots) else { throw fail("slots: \(slots) is out of range 1-256") }
        var config = WorkerConfig(
            coordinator: address, token: token, engines: entries, slots: slots, name: name, version: Provenance.version)
        config.tls = try tls.settings(env)
        (config.logFormat, config.logLevel) = try logging.settings()
        guard (0...86_400).contains(watchdogSeconds) else { throw fail("watchdog-seconds: \(watchdogSeconds) is out of range 0-86400") }
        config.watchdog = watchdogSeconds == 0 ? nil : .seconds(watchdogSeconds)
        guard previewSeconds >= 0, previewSeconds.isFinite else { throw fail("preview-seconds: \(previewSeconds) is negative; give 0 for no previews") }
        config.previewInterval = previewSeconds == 0 ? nil : .milliseconds(Int(previewSeconds * 1000))
        config.onWatchdog = { _ in Reexec.now() }
        let metricsAddress = try metrics.map { text in
            guard let address = HTTPAddress(text) else { throw fail("metrics: '\(text)' is not HOST:PORT (e.g. 127.0.0.1:9101)") }
            return address
        }
        if metricsAddress != nil {
            FarmMetrics.bootstrap()
            FarmMetrics.registerWorkerMetrics()
        }
        let service: WorkerService
        do {
            service = try WorkerService(config: config)
        } catch {
            throw fail("\(error)")
        }
        var services: [any Service] = []
        if let address = metricsAddress {
            services.append(HTTPRunner(server: StatusServer(address: address) { service.isRegistered ? nil : "not registered with the coordinator yet" }))
        }
        services.append(WorkerRunner(worker: service))
        do {
            try await runServices(services, label: "worker")
        } catch let error as StatusServerError {
            throw fail(error.message)
        } catch {
            throw fail("worker: \(error)")
        }
    }
}
