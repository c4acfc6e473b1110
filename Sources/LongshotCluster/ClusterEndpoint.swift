import Foundation
import LongshotTransport

/// The coordinator a client command talks to and the token it presents, resolved in order:
/// the flag, then the environment (`LONGSHOT_COORDINATOR`, `LONGSHOT_TOKEN`), then the local cluster
/// in the state directory (`--state-dir`, else `LONGSHOT_STATE_DIR`, else `./.longshot`).
public struct ClusterEndpoint: Sendable, Equatable {
    /// The control address, e.g. `tcp://127.0.0.1:7700`.
    public var coordinator: String
    /// The cluster token.
    public var token: String
    /// Where each value came from, for messages ("--coordinator", "LONGSHOT_COORDINATOR", a file path).
    public var coordinatorSource: String
    /// The local cluster's client certificate, when its coordinator speaks TLS (`up --tls`) and the address is
    /// a `tls+tcp://` one.
    public var tls: TLSSettings?

    /// The state directory: the flag, else `LONGSHOT_STATE_DIR`, else `./.longshot`.
    public static func stateDirectory(flag: String?, environment: [String: String]) -> ClusterPaths {
        ClusterPaths(root: nonEmpty(flag) ?? nonEmpty(environment["LONGSHOT_STATE_DIR"]) ?? ".longshot")
    }

    /// Resolves the endpoint.
    /// - Throws: ``LocalClusterError`` naming what is missing and how to provide it.
    public static func resolve(
        coordinator: String?, token: String?, stateDirectory: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(LocalClusterError) -> ClusterEndpoint {
        let paths = Self.stateDirectory(flag: stateDirectory, environment: environment)
        let address: String
        let source: String
        if let flag = nonEmpty(coordinator) {
            (address, source) = (flag, "--coordinator")
        } else if let env = nonEmpty(environment["LONGSHOT_COORDINATOR"]) {
            (address, source) = (env, "LONGSHOT_COORDINATOR")
        } else if let manifest = try ClusterManifest.load(from: paths.manifest) {
            (address, source) = (manifest.coordinator, paths.manifest)
            // The pid files tell at once what a call would take a timeout to find out.
            guard PidFile(path: paths.pidFile("coordinator"), role: "coordinator").livePID != nil else {
                throw LocalClusterError(
                    "the local cluster in \(paths.root) is stopped (its coordinator is not running): `longshot up` starts it")
            }
        } else {
            throw LocalClusterError(
                "no coordinator: pass --coordinator tcp://HOST:7700, set LONGSHOT_COORDINATOR, or start a local cluster with `longshot up` (no cluster in \(paths.root))")
        }
        let resolvedToken: String
        if let flag = nonEmpty(token) {
            resolvedToken = flag
        } else if let env = nonEmpty(environment["LONGSHOT_TOKEN"]) {
            resolvedToken = env
        } else if let file = TokenFile.read(paths.token) {
            resolvedToken = file
        } else {
            throw LocalClusterError(
                "no cluster token: pass --token, set LONGSHOT_TOKEN, or use the local cluster's (\(paths.token) does not exist)")
        }
        let local = LocalTLS(paths)
        let tls = TLSSettings.isTLS(address) && local.isComplete ? local.settings("client") : nil
        return ClusterEndpoint(coordinator: address, token: resolvedToken, coordinatorSource: source, tls: tls)
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return s
    }
}

/// Address arithmetic on NNG URLs (`tcp://host:port`).
public enum NNGAddress {
    /// The host of a `tcp://host:port` address (brackets kept for IPv6); nil for other transports.
    public static func host(_ address: String) -> String? {
        guard let rest = tcpRest(address), let colon = rest.lastIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    /// `address` with its host replaced by `host`; `address` itself when it is not tcp.
    public static func replacingHost(_ address: String, with host: String) -> String {
        guard let scheme = address.range(of: "://"), let rest = tcpRest(address), let colon = rest.lastIndex(of: ":")
        else { return address }
        return String(address[..<scheme.upperBound]) + host + String(rest[colon...])
    }

    /// Whether the host is a wildcard (`0.0.0.0`, `*`, `[::]`, empty), which a listener accepts but a dialer cannot use.
    public static func isWildcard(_ host: String) -> Bool {
        ["", "*", "0.0.0.0", "[::]", "::"].contains(host)
    }

    /// The address a client should dial to reach a listener bound at `listen`, given that the
    /// control address it already reached is `reached`: a wildcard host becomes the reached host.
    public static func dialable(_ listen: String, reached: String) -> String {
        guard let host = host(listen), isWildcard(host), let reachedHost = self.host(reached) else { return listen }
        return replacingHost(listen, with: isWildcard(reachedHost) ? "127.0.0.1" : reachedHost)
    }

    private static func tcpRest(_ address: String) -> Substring? {
        for scheme in ["tcp://", "tcp4://", "tcp6://", "tls+tcp://"] where address.hasPrefix(scheme) {
            return address.dropFirst(scheme.count)
        }
        return nil
    }
}
