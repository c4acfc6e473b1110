import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Synchronization
import Testing

/// Every farm test, one at a time: they start real processes and time faults, and the machine has 2 cores.
@Suite("the farm, with real processes", .serialized)
struct FarmTests {}

/// The prompt of every farm test job.
let farmPrompt = "a red ball bouncing on a blue background"

/// Runs `body` with a fresh farm; always kills its processes. When `body` throws, prints the logs' tails
/// and keeps the scratch directory.
func withFarm(
    _ label: String, workers: Int = 0, engine: String = "procedural", host: String = "127.0.0.1",
    databaseURL: String? = nil, coordinatorArguments: [String] = [], coordinatorEnvironment: [String: String] = [:],
    tls: Bool? = nil, standby: Bool = false, _ body: (FarmHarness) async throws -> Void
) async throws {
    let farm = try FarmHarness(
        label, workers: workers, engine: engine, host: host, databaseURL: databaseURL,
        coordinatorArguments: coordinatorArguments, coordinatorEnvironment: coordinatorEnvironment, tls: tls, standby: standby)
    var failed = true
    defer { farm.shutdown(keepScratch: failed || ProcessInfo.processInfo.environment["LONGSHOT_KEEP_FARM"] != nil) }
    do {
        try await body(farm)
        failed = false
    } catch {
        print("farm test \(label) failed: \(error)\n\(farm.logTails())")
        throw error
    }
}

/// The reference renders' directory, deleted when the test process exits.
private let referenceDirectory = Mutex<String?>(nil)

/// Reference videos from `longshot render` (in one process, no farm), rendered once per test process.
enum ReferenceRenders {
    private static let cache = Mutex<[String: URL]>([:])
    private static let directory: Result<ScratchDirectory, any Error> = Result {
        let scratch = try ScratchDirectory("longshot-farm-ref")
        referenceDirectory.withLock { $0 = scratch.url.path }
        atexit {
            if let path = referenceDirectory.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
        return scratch
    }

    /// `longshot render PROMPT options... -o FILE` (the options name the fusion); cached by options.
    static func video(_ options: [String]) throws -> URL {
        let key = options.joined(separator: " ")
        if let url = cache.withLock({ $0[key] }) { return url }
        let scratch = try directory.get()
        let url = scratch.file("ref-\(cache.withLock { $0.count }).mp4")
        let result = try LongshotProcess.run(
            ["render", farmPrompt] + options + ["-o", url.path], in: scratch.url)
        guard result.status == 0 else {
            throw HarnessError("render failed (\(result.status)): \(result.stdout)\n\(result.stderr)")
        }
        cache.withLock { $0[key] = url }
        return url
    }
}

/// The request ids of in-process clients.
extension FarmHarness {
    /// A client of this farm's coordinator (with another token when given).
    func client(token: String? = nil, timeout: Duration = .seconds(10)) throws -> FarmClient {
        try FarmClient(address: address, token: token ?? self.token, timeout: timeout, tls: clientTLS)
    }

    /// ShowJob.
    func detail(_ id: String) async throws -> Longshot_V1_JobDetail {
        try await client().job(id)
    }

    /// Waits until the job reaches `state`; a job that fails or is cancelled instead throws at once.
    @discardableResult
    func waitForJob(
        _ id: String, _ state: Longshot_V1_JobState = .succeeded, timeout: Duration = .seconds(120)
    ) async throws -> Longshot_V1_JobDetail {
        var last: Longshot_V1_JobDetail?
        try await waitUntil("job \(id) to be \(state.word)", timeout: timeout, poll: .milliseconds(250)) {
            let detail = try await self.detail(id)
            last = detail
            if detail.state != state, [.failed, .cancelled].contains(detail.state) {
                throw HopelessWait("job \(id) is \(detail.state.word): \(detail.error)\n\(detail.text())")
            }
            return detail.state == state
        }
        return last!
    }

    /// Rows of the attempts table per window index (every lease ever granted for the window).
    func attemptRows(_ id: String) throws -> [Int: Int] {
        let connection = try PostgresConnection(databaseURL)
        let result = try connection.query(
            "SELECT window_index, count(*) FROM attempts WHERE job_id = $1 AND window_index IS NOT NULL GROUP BY window_index", [.text(id)])
        var rows: [Int: Int] = [:]
        for row in result.rows { rows[try row.int(0)] = try row.int(1) }
        return rows
    }

    /// Fetches the job's video and compares its decoded frames with `reference`; throws on any difference.
    func expectSameFrames(_ id: String, as reference: URL, name: String) throws {
        let video = try fetch(id, as: name)
        if let difference = try FarmHarness.frameDifference(video, reference) {
            throw HarnessError("job \(id): \(name) differs from \(reference.lastPathComponent): \(difference)")
        }
    }
}

extension FarmHarness {
    /// Waits until `count` workers are registered and not offline (codenoise splits a job by live workers).
    func waitForWorkers(_ count: Int, timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("\(count) live workers", timeout: timeout, poll: .milliseconds(100)) {
            try await self.client().status().workers.filter { $0.state != .offline }.count >= count
        }
    }
}
