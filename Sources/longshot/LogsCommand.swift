import ArgumentParser
import Foundation
import LongshotCluster

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show a job's log: coordinator events and the workers' log tails.")

    @Argument(help: "The job id.")
    var job: String

    @Option(help: "Only this window's lines.")
    var window: UInt32?

    @Option(help: "Only the last N lines (0: the coordinator's default).")
    var tail: Int = 0

    @Flag(help: "Print JSON: an array of {time, level, job, window, worker, message}.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        guard tail >= 0 else { throw fail("--tail must be 0 or more") }
        let client = try cluster.client()
        let logs = try await farmCall { try await client.logs(job, window: window, tail: tail) }
        if json {
            print(JSONText.string(logs.lines.map(\.jsonObject)))
        } else {
            for line in logs.lines { print(line.text) }
        }
    }
}
