import Foundation
import Logging
import LongshotProtocol
import LongshotTransport
import Synchronization

/// "Work available" notifications from the coordinator's events address (topic `work`), so that a starved
/// worker asks for leases at once instead of at its next poll.
///
/// PUB/SUB is lossy and the coordinator may restart, so a notification only shortens a wait: the worker still
/// asks again when the coordinator's retry-after has passed.
final class WorkNotifications: Sendable {
    /// The PUB topic the coordinator publishes "work available" on.
    static let topic = "work"

    /// Rung for every notification: the worker's lease pump waits on it.
    let bell: Doorbell
    private let starved = Atomic<Bool>(false)
    private let count = Atomic<UInt64>(0)

    /// Notifications received so far.
    var received: UInt64 { count.load(ordering: .relaxed) }

    init(bell: Doorbell) { self.bell = bell }

    /// Set while the worker wants work and the coordinator had none: only then is it subscribed.
    var isStarved: Bool {
        get { starved.load(ordering: .relaxed) }
        set { starved.store(newValue, ordering: .relaxed) }
    }

    /// Receives notifications from `address` until cancelled, but only while the worker is starved (it wants work and the coordinator had none): NNG's SUB
    /// filters on the subscriber's side, so a subscribed worker is sent every event of every running job,
    /// which costs a busy farm's coordinator and workers real CPU. Connected while starved, closed otherwise.
    /// NNG redials on its own when the coordinator restarts; anything missed (a notification sent just
    /// before the subscription was up, or while the coordinator was away) is covered by polling.
    func listen(to address: String, tls: TLSSettings?, log: Logger) async {
        var subscriber: SubSocket?
        var announced = false
        var warned = false
        defer { subscriber?.close() }
        while !Task.isCancelled {
            guard isStarved else {
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
                if message.topic == Self.topic {
                    count.add(1, ordering: .relaxed)
                    bell.ring()
                }
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
