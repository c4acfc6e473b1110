import Dispatch
import Synchronization

/// Maps `0..<count` on all cores; results come back in index order, so the output does not depend on
/// scheduling. The first error thrown is rethrown.
public func concurrentMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
    let slots = Mutex<[Result<T, any Error>?]>(Array(repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: count) { i in
        let result = Result { try body(i) }
        slots.withLock { $0[i] = result }
    }
    let results = slots.withLock { $0 }
    return try results.map { try $0!.get() }
}

/// A thread-safe counter for progress reports.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
