import ArgumentParser
import Foundation
import LongshotCluster

struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Re-render some windows of a job, then stitch and encode again.",
        discussion: """
            Give --failed (every failed window) or --windows LIST, e.g. --windows 3,7-9. A job that failed \
            while stitching or encoding, with every window done, is finished again by --failed (no window \
            to render).
            """)

    @Argument(help: "The job id.")
    var job: String

    @Flag(help: "Re-render the failed windows.")
    var failed = false

    @Option(help: ArgumentHelp("Window indices to re-render, e.g. 3,7-9.", valueName: "list"))
    var windows: String?

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        var indices: [UInt32] = []
        switch (failed, windows) {
        case (true, .some): throw fail("give either --failed or --windows, not both")
        case (false, nil): throw fail("say what to rerun: --failed or --windows 3,7-9")
        case (false, let list?):
            do {
                indices = try WindowSelection.parse(list)
            } catch {
                throw fail(error.description)
            }
        case (true, nil): break
        }
        let client = try cluster.client()
        let message = try await farmCall { try await client.rerun(job, failedOnly: failed, windows: indices) }
        print(message.isEmpty ? "rerunning \(failed ? "the failed windows" : "windows \(windows ?? "")") of \(job)" : message)
    }
}
