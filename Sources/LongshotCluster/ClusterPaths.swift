import Foundation

/// Where a local cluster keeps its files. Everything lives under one state directory
/// (default `./.longshot`):
///
/// ```
/// STATE/token           the admin credential the CLI uses (mode 0600, like every credential file)
/// STATE/client-token    a client credential (submit, read, cancel its own jobs)
/// STATE/worker-token    the workers' credential
/// STATE/credentials.yaml the coordinator's credentials, made from the three
/// STATE/cluster.json    addresses and settings (``ClusterManifest``)
/// STATE/postgres/       the private PostgreSQL server (data, socket, server.log)
/// STATE/data/           the coordinator's data directory (finished videos, window latents)
/// STATE/run/NAME.pid    one pid file per process: coordinator, worker-1, worker-2, ...
/// STATE/logs/NAME.log   standard output and error of each process
/// ```
public struct ClusterPaths: Sendable, Equatable {
    /// The state directory, absolute.
    public let root: String

    /// Describes the state directory at `root` (made absolute against the current directory).
    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    public var token: String { root + "/token" }
    public var clientToken: String { root + "/client-token" }
    public var workerToken: String { root + "/worker-token" }
    public var credentials: String { root + "/credentials.yaml" }
    public var manifest: String { root + "/cluster.json" }
    public var postgres: String { root + "/postgres" }
    public var data: String { root + "/data" }
    public var run: String { root + "/run" }
    public var logs: String { root + "/logs" }

    /// The pid file of the process called `name` (`coordinator`, `worker-1`, ...).
    public func pidFile(_ name: String) -> String { run + "/" + name + ".pid" }
    /// The log file of the process called `name`.
    public func logFile(_ name: String) -> String { logs + "/" + name + ".log" }

    /// The names of the workers that have a pid file, in number order.
    public func workerNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []
        return files.filter { $0.hasPrefix("worker-") && $0.hasSuffix(".pid") }
            .map { String($0.dropLast(4)) }
            .sorted { (Int($0.dropFirst(7)) ?? 0, $0) < (Int($1.dropFirst(7)) ?? 0, $1) }
    }
}
