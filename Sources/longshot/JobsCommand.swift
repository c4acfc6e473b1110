import ArgumentParser
import Foundation
import LongshotCluster
import LongshotProtocol

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List jobs, newest first: id, state, windows done/total, age, prompt.")

    @Option(help: "Only jobs in these states (comma-separated: queued, running, stitching, encoding, succeeded, failed, cancelled).")
    var state: String?

    @Option(help: "At most this many jobs.")
    var limit: Int = 50

    @Flag(help: "Print JSON: an array of {id, state, prompt, duration, engine, priority, windowsDone, windowsTotal, createdAt, updatedAt}.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        var states: [Longshot_V1_JobState] = []
        for word in (state ?? "").split(separator: ",") {
            guard let s = Longshot_V1_JobState(word: word.trimmingCharacters(in: .whitespaces)) else {
                throw fail("--state: unknown state '\(word)'; use queued, running, stitching, encoding, succeeded, failed or cancelled")
            }
            states.append(s)
        }
        guard limit > 0 else { throw fail("--limit must be at least 1") }
        let client = try cluster.client()
        let list = try await farmCall { try await client.jobs(states: states, limit: limit) }
        print(json ? JSONText.string(list.jobs.map(\.jsonObject)) : list.text())
    }
}
