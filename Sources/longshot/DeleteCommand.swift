import ArgumentParser
import Foundation
import LongshotCluster

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete ended jobs (succeeded, failed or cancelled) with their windows, logs and videos.",
        discussion: """
            Only a job's submitter or an admin may delete it; a job still in progress is refused (cancel it first).
            The coordinator's --job-retention deletes ended jobs on its own after a while (see the README).
            """)

    @Argument(help: "The job ids.")
    var jobs: [String]

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard !jobs.isEmpty else { throw ValidationError("give at least one job id") }
    }

    func run() async throws {
        let client = try cluster.client()
        var failed = false
        for job in jobs {
            // A refusal names the job and is printed by farmCall; the rest are still deleted.
            do { print(try await farmCall { try await client.delete(job) }) } catch is ExitCode { failed = true }
        }
        if failed { throw ExitCode.failure }
    }
}
