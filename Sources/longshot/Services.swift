import Logging
import LongshotCoordinator
import LongshotHTTP
import LongshotWorker
import ServiceLifecycle

/// The coordinator as a service: a graceful shutdown (SIGTERM, SIGINT) stops it serving and releases its
/// leadership; `run` then returns.
struct CoordinatorRunner: Service, CustomStringConvertible {
    let coordinator: Coordinator
    var description: String { "coordinator" }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await coordinator.run()
        } onGracefulShutdown: {
            coordinator.stop()
        }
    }
}

/// A worker as a service: a graceful shutdown drains it (no new leases; the ones held are finished and
/// uploaded), then `run` returns.
struct WorkerRunner: Service, CustomStringConvertible {
    let worker: WorkerService
    var description: String { "worker" }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            worker.stop()
        }
    }
}

/// The HTTP server (dashboard, metrics, probes) as a service; Hummingbird stops it on a graceful shutdown.
struct HTTPRunner: Service, CustomStringConvertible {
    let server: StatusServer
    var description: String { "http \(server.address)" }

    func run() async throws {
        do {
            try await server.run()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StatusServerError(message: "http: cannot serve on \(server.address): \(error)")
        }
    }
}

/// Runs `services` in a ServiceGroup until one ends: SIGTERM and SIGINT shut them down gracefully, the
/// last one first (the HTTP server, listed first, answers probes while the others drain).
func runServices(_ services: [any Service], label: String) async throws {
    var logger = Logger(label: "longshot.\(label).lifecycle")
    logger.logLevel = .warning
    let group = ServiceGroup(
        configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
