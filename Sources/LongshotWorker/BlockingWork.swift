import Foundation

/// Runs CPU-heavy or blocking work on its own thread and awaits it, so engine steps never occupy
/// Swift's cooperative thread pool.
func onThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
