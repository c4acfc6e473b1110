import ArgumentParser
import Foundation
import LongshotCluster
import LongshotProtocol

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List workers, or drain, block or unblock one.",
        discussion: """
            drain: the worker finishes what it holds and takes nothing more (state draining). block: the \
            windows it holds go to other workers at once and it gets no new leases (state blocked). unblock: \
            undoes a drain or a block; it takes work again. Without an action, lists the workers.
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case drain, block, unblock

        var wire: Longshot_V1_WorkerAdminAction {
            switch self {
            case .drain: .drain
            case .block: .block
            case .unblock: .unblock
            }
        }
    }

    @Argument(help: "drain, block or unblock (omit to list the workers).")
    var action: Action?

    @Argument(help: "The worker's name.")
    var name: String?

    @Flag(help: "Print JSON (when listing): the workers[] array of `status --json`.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let client = try cluster.client()
        guard let action else {
            let status = try await farmCall { try await client.status() }
            if json {
                print(JSONText.string(status.jsonObject()["workers"] ?? []))
            } else {
                print(status.workers.isEmpty ? "no workers" : status.workersTable())
            }
            return
        }
        guard let name else { throw fail("name the worker: longshot workers \(action.rawValue) NAME") }
        let message = try await farmCall { try await client.administer(worker: name, action.wire) }
        print(message.isEmpty ? "\(action.rawValue) \(name): done" : message)
    }
}
