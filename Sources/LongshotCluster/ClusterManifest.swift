import Foundation

/// `STATE/cluster.json`: how to reach a local cluster and how it was started. Written by
/// `longshot up`, read by the client commands when no `--coordinator` is given.
public struct ClusterManifest: Codable, Sendable, Equatable {
    /// The control address clients and local workers dial, e.g. `tcp://127.0.0.1:7700`.
    public var coordinator: String
    /// The events address clients subscribe to.
    public var events: String
    /// The control address the coordinator listens on (differs from ``coordinator`` with `--listen 0.0.0.0`).
    public var listen: String
    /// The events address the coordinator listens on.
    public var eventsListen: String
    /// The PostgreSQL URL of the private server.
    public var database: String
    /// The private server's directory (normally `STATE/postgres`).
    public var postgresDirectory: String
    /// The engine the local workers run.
    public var engine: String
    /// How many workers the last `up` asked for.
    public var workers: Int
    /// The engine file the local workers read (absolute path), when `up --engines FILE` gave one.
    public var engines: String?
    /// Whether the coordinator speaks mutual TLS (`up --tls`; certificates in `STATE/tls/`).
    public var tls: Bool?
    /// The coordinator's HTTP address (`/metrics`, `/healthz`, `/readyz`), always on 127.0.0.1 at the
    /// control port + 2, e.g. `http://127.0.0.1:7702`.
    public var http: String?

    public init(
        coordinator: String, events: String, listen: String, eventsListen: String, database: String,
        postgresDirectory: String, engine: String, workers: Int, engines: String? = nil
    ) {
        self.coordinator = coordinator
        self.events = events
        self.listen = listen
        self.eventsListen = eventsListen
        self.database = database
        self.postgresDirectory = postgresDirectory
        self.engine = engine
        self.workers = workers
        self.engines = engines
    }

    /// Reads the manifest; nil when the file does not exist.
    /// - Throws: ``LocalClusterError`` when it exists but cannot be read.
    public static func load(from path: String) throws(LocalClusterError) -> ClusterManifest? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(ClusterManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LocalClusterError("cannot read \(path): \(error.localizedDescription); remove it and run `longshot up` again")
        }
    }

    /// Writes the manifest atomically.
    public func save(to path: String) throws(LocalClusterError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LocalClusterError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
