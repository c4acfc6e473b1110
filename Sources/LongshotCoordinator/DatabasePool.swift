import LongshotMetrics
import LongshotStore
import Synchronization

/// A few database connections, each on its own thread, used in turn: a slow transaction (a large result
/// upload) does not hold up lease grants, and `FOR UPDATE SKIP LOCKED` keeps concurrent grants apart.
final class DatabasePool: Sendable {
    private let members: [FarmDatabase]
    private let next = Atomic<Int>(0)

    /// Opens `size` connections; the first waits up to `connectFor` for PostgreSQL and applies migrations.
    /// Each operation later waits at most `retryFor` for a lost connection, then fails (the caller answers
    /// "unavailable" and the worker or client retries).
    init(url: String, size: Int, connectFor: Duration, retryFor: Duration, blockAfterFailures: Int) throws {
        var members: [FarmDatabase] = []
        for _ in 0..<max(size, 1) {
            members.append(
                try FarmDatabase(url: url, retryFor: retryFor, connectFor: connectFor, blockAfterFailures: blockAfterFailures))
        }
        self.members = members
    }

    func run<T: Sendable>(_ body: @Sendable (FarmStore) throws -> T) async throws -> T {
        let i = next.add(1, ordering: .relaxed).newValue
        let started = ContinuousClock.now
        do {
            let value = try await members[i % members.count].run(body)
            FarmMetrics.database(ContinuousClock.now - started, failed: false)
            return value
        } catch {
            FarmMetrics.database(ContinuousClock.now - started, failed: true)
            throw error
        }
    }
}
