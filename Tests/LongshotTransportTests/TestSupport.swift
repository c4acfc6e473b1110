import Foundation
import LongshotTransport
import Synchronization

/// A test exceeded its own deadline (a hang turned into a failure).
struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "test step did not finish within \(limit)" }
}

/// Runs `body`, failing with ``DeadlineExceeded`` if it takes longer than `limit`.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A fresh ipc:// address in a temporary directory.
func temporaryIPCAddress() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-transport-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return "ipc://" + dir.appendingPathComponent("control.sock").path
}

/// A loopback TCP address on a port the system picks (read back via `boundAddress`).
let ephemeralTCP = "tcp://127.0.0.1:0"

/// A running REP server for one test; `stop()` closes it and waits (bounded) for `run()` to end.
struct RunningServer {
    let server: RepServer
    let task: Task<Void, any Error>

    init(_ server: RepServer) {
        self.server = server
        self.task = Task { try await server.run() }
    }

    var address: String { server.boundAddress }

    func stop() async throws {
        server.close()
        try await withDeadline(.seconds(5)) { try await task.value }
    }
}

/// Deterministic bytes of a given size.
func patternBytes(_ count: Int, seed: UInt8 = 7) -> Data {
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: i &* 31 &+ Int(seed)) }
        initialized = count
    }
    return Data(bytes)
}

/// `data` with every byte inverted.
func inverted(_ data: Data) -> Data {
    var bytes = [UInt8](data)
    bytes.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices { buffer[i] = ~buffer[i] }
    }
    return Data(bytes)
}

/// Tracks how many handlers run at once, and the most seen.
final class ConcurrencyGauge: Sendable {
    private let state = Mutex((current: 0, peak: 0))

    func enter() {
        state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) }
    }

    func leave() {
        state.withLock { $0.current -= 1 }
    }

    var peak: Int { state.withLock { $0.peak } }
}
