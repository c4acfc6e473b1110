import ArgumentParser
import Foundation
import LongshotCluster

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Download a finished job's MP4 (works from any machine that reaches the coordinator).")

    @Argument(help: "The job id.")
    var job: String

    @Option(name: .shortAndLong, help: "Where to write the MP4.")
    var output: String

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        if let problem = OutputPath.problem(URL(fileURLWithPath: output)) { throw fail(problem) }
        let client = try cluster.client()
        let detail = try await farmCall { try await client.job(job) }
        guard detail.state == .succeeded else {
            throw fail("job \(job) is \(detail.state.word), not succeeded: there is no video to fetch yet" + (detail.error.isEmpty ? "" : " (\(detail.error))"))
        }
        let bar = ProgressLine()
        let bytes = try await farmCall {
            try await VideoDownload.fetch(jobID: job, client: client, to: output) { done, total in
                bar.update("fetch", done: Int(done >> 10), total: Int(max(total, done) >> 10), unit: "KiB")
            }
        }
        print("wrote \(output) (\(bytes) bytes)")
    }
}
