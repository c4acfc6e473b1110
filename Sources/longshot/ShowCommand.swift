import ArgumentParser
import Foundation
import LongshotCluster

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a job and its windows: index, frames, state, attempts, worker, duration.",
        discussion: """
            --json prints {id, state, error, createdAt, updatedAt, output, spec, windowsDone, windowsTotal, \
            windows [{index, firstFrame, frames, state, attempts, worker, durationMs, digest, error}]}; job states \
            are queued, running, stitching, encoding, succeeded, failed, cancelled; window states pending, leased, done, failed.
            """)

    @Argument(help: "The job id.")
    var job: String

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let client = try cluster.client()
        let detail = try await farmCall { try await client.job(job) }
        print(json ? JSONText.string(detail.jsonObject) : detail.text())
    }
}
