import ArgumentParser
import Foundation
import LongshotClient
import LongshotCluster
import LongshotTransport

/// Where the coordinator is and the token to present, shared by every client command.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The coordinator's control address (default: $LONGSHOT_COORDINATOR, else the local cluster's).",
        valueName: "url"))
    var coordinator: String?

    @Option(help: "The cluster token (default: $LONGSHOT_TOKEN, else the local cluster's token file).")
    var token: String?

    @Option(help: ArgumentHelp("The local cluster's state directory (default: $LONGSHOT_STATE_DIR, else ./.longshot).", valueName: "dir"))
    var stateDir: String?

    @OptionGroup var tls: TLSOptions

    /// The resolved address and token.
    func endpoint() throws -> ClusterEndpoint {
        do {
            return try ClusterEndpoint.resolve(coordinator: coordinator, token: token, stateDirectory: stateDir)
        } catch {
            throw fail(error.description)
        }
    }

    /// A client for the resolved coordinator. An address where nothing listens (connection refused) is
    /// one line at once, not a timeout.
    func client(timeout: Duration = .seconds(10)) throws -> FarmClient {
        let endpoint = try endpoint()
        if ConnectProbe.allRefused(endpoint.coordinator) {
            throw fail(
                "no coordinator at \(endpoint.coordinator) (connection refused; the address is from \(endpoint.coordinatorSource)): is it running? `longshot up` starts a local cluster")
        }
        do {
            return try FarmClient(
                address: endpoint.coordinator, token: endpoint.token, timeout: timeout, tls: try tls.settings() ?? endpoint.tls)
        } catch {
            throw fail("\(error)")
        }
    }
}

/// Runs a client call and turns any failure into the one-line error exit.
func farmCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw fail("\(error)")
    }
}

/// Prints JSON for `--json`.
func printJSON(_ object: Any) {
    print(JSONText.string(object))
}

/// Flushes standard output (so a script reading a pipe sees a line at once).
func flushOutput() {
    fflush(nil)
}
