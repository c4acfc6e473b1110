import ArgumentParser
import Foundation
import LongshotClient
import LongshotCluster
import LongshotJob
import LongshotProtocol
import LongshotWire

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job to the farm; prints the job id as the first line.",
        discussion: """
            The farm co-denoises (--fusion codenoise, the default): the job is split into window groups, \
            one per worker slot, that fuse their overlaps after every step and exchange boundary halos \
            through the coordinator; the video equals `longshot render` of the same job. --fusion \
            independent renders each window alone and cross-fades them (neighbours may disagree). With --wait the command shows progress until the job ends and \
            exits non-zero if it failed or was cancelled; -o FILE (implies --wait) downloads the MP4.
            """)

    @OptionGroup var job: JobOptions

    @Option(help: "Scheduling priority: higher runs first.")
    var priority: Int = 0

    @Flag(help: "Wait until the job ends, showing progress.")
    var wait = false

    @Flag(name: .customLong("wait-for-engine"), help: "When no live worker offers the job's engine yet, wait for one (saying so) instead of failing.")
    var waitForEngine = false

    @Option(help: ArgumentHelp("Have the coordinator POST the job's end state as JSON to URL (the coordinator must allow it: --webhook-allow).", valueName: "url"))
    var notify: String?

    @Option(name: .shortAndLong, help: "Where to write the MP4 when the job succeeds (implies --wait).")
    var output: String?

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let spec: JobSpec
        do throws(JobSpecError) {
            guard job.engineCommand == nil else {
                throw JobSpecError(
                    "engine-cmd", "a job never carries a command: a worker's engine file names it (longshot worker --engines FILE) and the job names that engine")
            }
            // Any engine name: the coordinator knows which the workers offer.
            spec = try job.spec(knownEngines: [job.engine], defaultFusion: .codenoise)
        } catch {
            throw fail(error.description)
        }
        if let output, let problem = OutputPath.problem(URL(fileURLWithPath: output)) { throw fail(problem) }
        PromptWarnings.lines(for: spec).forEach(note)
        var wire = spec.wire
        wire.priority = Int32(clamping: priority)
        // What the user left unset, the coordinator fills from the engine's recommendations.
        if job.window == nil { wire.window = 0 }
        if job.overlap == nil { wire.clearOverlap() }
        if job.shift == nil { wire.shift = 0 }

        let client = try cluster.client()
        let id = try await farmCall { try await submitWaitingForEngine(client, wire) }
        print(id)
        flushOutput()
        guard wait || output != nil else { return }

        let bar = JobProgressBar()
        let detail = try await farmCall {
            try await JobFollower(client: client, jobID: id).waitUntilFinal { bar.show($0) }
        }
        guard detail.state == .succeeded else {
            throw fail("job \(id) \(detail.state.word)" + (detail.error.isEmpty ? "" : ": \(detail.error)") + " (details: longshot show \(id))")
        }
        guard let output else {
            print("job \(id) succeeded; download it with: longshot fetch \(id) -o FILE")
            return
        }
        let bytes = try await farmCall { try await VideoDownload.fetch(jobID: id, client: client, to: output) }
        print("wrote \(output) (\(bytes) bytes)")
    }
}

/// A job's progress on standard error: a bar of windows rendered (codenoise: the slowest group's steps), then a line per later stage
/// (stitching, encoding); drawn only when something changed.
final class JobProgressBar: @unchecked Sendable {
    private let line = ProgressLine()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastDone = -1
    private var lastState: Longshot_V1_JobState?
    private var lastWaiting = ""

    func show(_ detail: Longshot_V1_JobDetail) {
        // Window steps in both fusion modes (as `render` counts): codenoise groups advance all their
        // windows a step at a time, independent windows count once done.
        let steps = max(Int(detail.spec.steps), 1)
        let total = max(detail.windows.count * steps, 1)
        let pastRendering = [.stitching, .encoding, .succeeded].contains(detail.state)
        let progress =
            detail.groups.isEmpty
            ? detail.windowsDone * steps : detail.groups.reduce(0) { $0 + Int($1.step) * Int($1.windowCount) }
        let done = pastRendering ? total : min(progress, total)
        if done != lastDone, detail.state != .queued || lastDone >= 0 {
            lastDone = done
            line.update("render", done: done, total: total, unit: "window steps")
        }
        if detail.waiting != lastWaiting {
            lastWaiting = detail.waiting
            if !detail.waiting.isEmpty { note("waiting: \(detail.waiting)") }
        }
        if detail.state != lastState {
            lastState = detail.state
            switch detail.state {
            case .queued: note("queued: waiting for a worker")
            case .stitching, .encoding: note("\(detail.state.word)...")
            case .failed, .cancelled: if isTerminal, lastDone >= 0, lastDone < total { note("") }
            default: break
            }
        }
    }
}

extension SubmitCommand {
    /// Submits; with `--wait-for-engine`, retries every second while the coordinator says no live worker
    /// offers the engine, telling standard error once what it waits for.
    func submitWaitingForEngine(_ client: FarmClient, _ wire: Longshot_V1_JobSpec) async throws -> String {
        var told = false
        while true {
            do {
                return try await client.submit(wire, notifyURL: notify ?? "")
            } catch let error as FarmClientError where waitForEngine && error.message.contains("no live worker offers engine") {
                if !told {
                    note("waiting for a worker offering engine '\(wire.engine.isEmpty ? "procedural" : wire.engine)' (\(error.message))")
                    told = true
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
