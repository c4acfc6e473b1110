import Hummingbird
import Logging
import LongshotMetrics

/// The HTTP side of a coordinator or a worker: `/metrics` (Prometheus's text format), `/healthz` (the
/// process runs) and `/readyz` (it serves: for a coordinator, it is the active one, not a standby), plus
/// whatever `routes` adds.
public struct StatusServer: Sendable {
    public let address: HTTPAddress
    private let readiness: @Sendable () async -> String?
    private let routes: @Sendable (Router<BasicRequestContext>) -> Void

    /// `readiness` returns nil when ready, else why not (answered with 503); `routes` adds more pages
    /// (the coordinator's dashboard).
    public init(
        address: HTTPAddress, readiness: @escaping @Sendable () async -> String?,
        routes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }
    ) {
        self.address = address
        self.readiness = readiness
        self.routes = routes
    }

    /// Serves until cancelled or shut down gracefully (as a ServiceGroup's service); `listening` is called
    /// once the address is bound.
    public func run(listening: @escaping @Sendable () -> Void = {}) async throws {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: FarmMetrics.exposition())))
        }
        router.get("healthz") { _, _ in "ok\n" }
        router.get("readyz") { [readiness] _, _ -> Response in
            let problem = await readiness()
            return Response(
                status: problem == nil ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: (problem ?? "ready") + "\n")))
        }
        routes(router)
        var logger = Logger(label: "longshot.http")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "longshot"),
            onServerRunning: { _ in listening() }, logger: logger)
        try await app.run()
    }
}

/// The HTTP server did not start, in one line.
public struct StatusServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
