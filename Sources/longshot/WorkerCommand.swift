import ArgumentParser
import Foundation
import LongshotEngines
import LongshotRender
import LongshotWorker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker: pull windows from a coordinator and denoise them.")

    @Option(help: "The coordinator's control address (or LONGSHOT_COORDINATOR).")
    var coordinator: String?

    @Option(help: "The engine this worker runs.")
    var engine = "procedural"

    @Option(help: "Windows rendered at once.")
    var slots = 1

    @Option(help: "A unique name for this worker (default: HOST-PID).")
    var name: String?

    @Flag(help: "Required with --engine external: jobs then run their own --engine-cmd on this machine.")
    var allowExternalEngines = false

    @Option(help: "The cluster token (or LONGSHOT_TOKEN).")
    var token: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let address = coordinator ?? env["LONGSHOT_COORDINATOR"] else {
            throw fail("coordinator: give --coordinator tcp://HOST:7700 or set LONGSHOT_COORDINATOR")
        }
        guard let token = token ?? env["LONGSHOT_TOKEN"], !token.isEmpty else {
            throw fail("token: give --token or set LONGSHOT_TOKEN (the coordinator's cluster token)")
        }
        guard EngineCatalog.names.contains(engine) else {
            throw fail("engine: unknown engine '\(engine)'; known engines: \(EngineCatalog.names.joined(separator: ", "))")
        }
        guard engine != "external" || allowExternalEngines else {
            throw fail("engine: external jobs run a command of the job's choosing here; add --allow-external-engines to accept that")
        }
        guard (1...256).contains(slots) else { throw fail("slots: \(slots) is out of range 1-256") }
        let service: WorkerService
        do {
            service = try WorkerService(config: WorkerConfig(
                coordinator: address, token: token, engine: engine, slots: slots, name: name, version: Provenance.version))
        } catch {
            throw fail("\(error)")
        }
        let trap = SignalTrap { _ in service.stop() }
        defer { withExtendedLifetime(trap) {} }
        do {
            try await service.run()
        } catch {
            throw fail("worker: \(error)")
        }
    }
}
