import Foundation

/// How a worker joins a cluster.
public struct WorkerConfig: Sendable {
    /// The coordinator's control address, e.g. tcp://host:7700.
    public var coordinator: String
    public var token: String
    /// The engine this worker runs; it is leased only windows of jobs for this engine.
    public var engine: String
    /// Windows rendered at once.
    public var slots: Int
    /// A unique, stable name (re-registering under the same name takes over that worker's record).
    public var name: String
    public var host: String
    public var version: String

    public init(
        coordinator: String, token: String, engine: String, slots: Int = 1, name: String? = nil,
        host: String = ProcessInfo.processInfo.hostName, version: String
    ) {
        self.coordinator = coordinator
        self.token = token
        self.engine = engine
        self.slots = max(1, slots)
        self.host = host
        self.name = name ?? "\(host)-\(getpid())"
        self.version = version
    }
}
