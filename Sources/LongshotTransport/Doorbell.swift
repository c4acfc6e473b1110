import Synchronization

/// Wakes a waiting task when something happened: each `ring()` counts up a generation, and `wait` returns
/// once the generation has moved past the one the waiter saw, or its time is up, or it is cancelled.
/// Taking the generation before looking and waiting with it after means no ring in between is missed.
public final class Doorbell: Sendable {
    private let state = Mutex<State>(State())

    public init() {}

    private struct State {
        var generation: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits in progress, and those of them woken (by their timer or cancellation) before they parked.
        var active: Set<UInt64> = []
        var wokenEarly: Set<UInt64> = []
    }

    /// Rings so far; take it before looking, wait with it after.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    public func ring() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            let waiting = Array(s.waiters.values)
            s.waiters.removeAll()
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns after `duration`, or as soon as a ring newer than `seen` comes (at once when one already
    /// has), or when the task is cancelled.
    public func wait(for duration: Duration, after seen: UInt64) async {
        let id = state.withLock { s -> UInt64 in
            s.nextID &+= 1
            s.active.insert(s.nextID)
            return s.nextID
        }
        let timer = Task {
            do {
                try await Task.sleep(for: duration)
                self.wake(id)
            } catch {}
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.generation != seen || s.wokenEarly.contains(id) { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            self.wake(id)
        }
        timer.cancel()
        state.withLock { s in
            s.active.remove(id)
            s.wokenEarly.remove(id)
            s.waiters.removeValue(forKey: id)
        }
    }

    private func wake(_ id: UInt64) {
        let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let continuation = s.waiters.removeValue(forKey: id) { return continuation }
            if s.active.contains(id) { s.wokenEarly.insert(id) }
            return nil
        }
        continuation?.resume()
    }
}
