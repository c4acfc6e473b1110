import ArgumentParser
import Foundation
import LongshotCluster

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a job: its leases are revoked and nothing more is rendered.")

    @Argument(help: "The job id.")
    var job: String

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let client = try cluster.client()
        let message = try await farmCall { try await client.cancel(job) }
        print(message.isEmpty ? "cancelled \(job)" : message)
    }
}
