import Foundation
import Logging
import LongshotProtocol
import LongshotTransport
import Synchronization

/// "Work available" notifications from the coordinator's events address (topic `work`), so that an idle
/// slot asks for a lease at once instead of at its next poll.
///
/// PUB/SUB is lossy and the coordinator may restart, so a notification only shortens a wait: a slot still
/// asks again when the coordinator's retry-after has passed.
final class WorkNotifications: Sendable {
    /// The PUB topic the coordinator publishes "work available" on.
    static let topic = "work"

    private let state = Mutex<State>(State())

    private struct State {
        var generation: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits in progress, and those of them woken (by their timer or cancellation) before they parked.
        var active: Set<UInt64> = []
        var wokenEarly: Set<UInt64> = []
    }

    /// Count of notifications so far; take it before asking for work, wait with it after.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiting slot.
    func notify() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            let waiting = Array(s.waiters.values)
            s.waiters.removeAll()
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns after `duration`, or as soon as a notification newer than `seen` arrives (at once when one
    /// already has), or when the task is cancelled.
    func wait(for duration: Duration, after seen: UInt64) async {
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

    /// Whether a slot is waiting for work now.
    private var isIdle: Bool { state.withLock { !$0.active.isEmpty } }

    /// Receives notifications from `address` until cancelled, but only while a slot is idle: NNG's SUB
    /// filters on the subscriber's side, so a subscribed worker is sent every event of every running job,
    /// which costs a busy farm's coordinator and workers real CPU. Connected while idle, closed when busy.
    /// NNG redials on its own when the coordinator restarts; anything missed (a notification sent just
    /// before the subscription was up, or while the coordinator was away) is covered by polling.
    func listen(to address: String, tls: TLSSettings?, log: Logger) async {
        var subscriber: SubSocket?
        var announced = false
        var warned = false
        defer { subscriber?.close() }
        while !Task.isCancelled {
            guard isIdle else {
                subscriber?.close()
                subscriber = nil
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            let socket: SubSocket
            if let subscriber {
                socket = subscriber
            } else {
                do {
                    socket = try SubSocket(dial: address, options: TransportOptions(receiveTimeout: .milliseconds(100), tls: tls))
                    try socket.subscribe(topic: Self.topic)
                } catch {
                    if !warned { log.info("cannot subscribe to work notifications at \(address) (\(error)); polling only") }
                    warned = true
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                subscriber = socket
                if !announced { log.info("subscribed to work notifications at \(address) (while idle)") }
                announced = true
            }
            do {
                let message = try await socket.receive(timeout: .milliseconds(100))
                if message.topic == Self.topic { notify() }
            } catch where error.kind == .timedOut {
                continue
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(100))  // not a timeout: do not spin
            }
        }
    }

    /// The address to dial for a listener bound at `listen` when the control address `reached` works: a
    /// wildcard host (0.0.0.0, *, [::]) becomes the control address's host.
    static func dialable(_ listen: String, reached: String) -> String {
        guard let host = host(listen), isWildcard(host), let reachedHost = self.host(reached) else { return listen }
        let newHost = isWildcard(reachedHost) ? "127.0.0.1" : reachedHost
        guard let scheme = listen.range(of: "://"), let rest = tcpRest(listen), let colon = rest.lastIndex(of: ":")
        else { return listen }
        return String(listen[..<scheme.upperBound]) + newHost + String(rest[colon...])
    }

    private static func host(_ address: String) -> String? {
        guard let rest = tcpRest(address), let colon = rest.lastIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    private static func isWildcard(_ host: String) -> Bool { ["", "*", "0.0.0.0", "[::]", "::"].contains(host) }

    private static func tcpRest(_ address: String) -> Substring? {
        for scheme in ["tcp://", "tcp4://", "tcp6://", "tls+tcp://"] where address.hasPrefix(scheme) {
            return address.dropFirst(scheme.count)
        }
        return nil
    }
}
