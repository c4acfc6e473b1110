import Foundation
import Logging
import LongshotEngines
import LongshotLogging
import LongshotTransport

/// How a worker joins a cluster.
public struct WorkerConfig: Sendable {
    /// The coordinator's control address, e.g. tcp://host:7700.
    public var coordinator: String
    public var token: String
    /// The engines this worker offers (its engine file); it is leased only work of jobs naming one.
    public var engines: [EngineEntry]
    /// Windows rendered at once.
    public var slots: Int
    /// A unique, stable name (re-registering under the same name takes over that worker's record).
    public var name: String
    public var host: String
    public var version: String
    /// Certificates for a `tls+tcp://` coordinator.
    public var tls: TLSSettings?
    /// When the coordinator has answered nothing for this long, `onWatchdog` runs (the command restarts the
    /// process in place: NNG 1.5.2 can wedge a process's sockets for good after a peer died). nil: never.
    public var watchdog: Duration? = .seconds(120)
    /// How often a lease sends the dashboard a preview (a few frames decoded from the current prediction);
    /// nil: never.
    public var previewInterval: Duration? = .seconds(2)
    /// How the worker's log lines look, and the least severe level written.
    public var logFormat: LogFormat = .text
    public var logLevel: Logger.Level = .info
    /// What the watchdog does; the default only logs.
    public var onWatchdog: @Sendable (Duration) -> Void = { _ in }

    /// The engines' names, comma-separated (as the coordinator stores them).
    public var engineNames: String { engines.map(\.name).sorted().joined(separator: ",") }

    public init(
        coordinator: String, token: String, engines: [EngineEntry], slots: Int = 1, name: String? = nil,
        host: String = ProcessInfo.processInfo.hostName, version: String
    ) {
        self.coordinator = coordinator
        self.token = token
        self.engines = engines
        self.slots = max(1, slots)
        self.host = host
        self.name = name ?? "\(host)-\(getpid())"
        self.version = version
    }
}
