import ArgumentParser
import Foundation
import LongshotCluster

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the coordinator, its workers and the queue.",
        discussion: """
            --json prints {coordinator {pid, host, version, startedAt, uptimeSeconds, listen, events}, \
            workers [{name, host, pid, state, engine, slots, current, lastSeen, lastSeenMs, id}], queue {...}}: \
            current is "JOB/WINDOW" or null, lastSeen an ISO-8601 UTC time (lastSeenMs the same in ms since 1970).
            """)

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let client = try cluster.client()
        let status = try await farmCall { try await client.status() }
        print(json ? JSONText.string(status.jsonObject()) : status.text())
    }
}
