import ArgumentParser
import Foundation
import LongshotCluster

struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the local cluster: workers, then the coordinator, then PostgreSQL (the data stays).")

    @Option(help: ArgumentHelp("The state directory (default: $LONGSHOT_STATE_DIR, else ./.longshot).", valueName: "dir"))
    var stateDir: String?

    @Option(help: "Seconds to let workers finish or hand back their windows before they are killed.")
    var grace: Int = 30

    func run() async throws {
        let paths = ClusterEndpoint.stateDirectory(flag: stateDir, environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.fileExists(atPath: paths.root) else {
            throw fail("no local cluster in \(paths.root) (nothing to stop; pass --state-dir if it is elsewhere)")
        }
        do {
            _ = try await LocalCluster(stateDirectory: paths.root).down(workerGrace: .seconds(max(grace, 0))) { note($0) }
        } catch {
            throw fail(error.description)
        }
        print("cluster down (data kept in \(paths.root))")
    }
}
