import Foundation
import LongshotProtocol
import LongshotTransport

/// Publishes live events on the PUB socket: topic = job id, or "cluster" for worker events.
/// Best effort: a slow or absent subscriber never holds the coordinator up.
final class EventBus: Sendable {
    let socket: PubSocket

    init(listen: String) throws {
        socket = try PubSocket(listen: listen)
    }

    var address: String { socket.boundAddress }

    func publish(_ event: Longshot_V1_Event) {
        var event = event
        event.protocolVersion = WireProtocol.version
        if event.timeMs == 0 { event.timeMs = Int64(Date().timeIntervalSince1970 * 1000) }
        guard let bytes = try? event.serializedData() else { return }
        let topic = event.jobID.isEmpty ? "cluster" : event.jobID
        let socket = socket
        Task { try? await socket.publish(topic: topic, payload: bytes) }
    }

    /// The topic of "work available" notifications (an `Event` with kind unspecified and no job id): idle
    /// workers subscribe to it and ask for a lease at once instead of at their next poll.
    static let workTopic = "work"

    /// Tells idle workers that leasable work may have appeared (a job submitted, windows rerun, leases
    /// reclaimed, a retry's back-off over, a worker unblocked). A hint only: workers still poll.
    func publishWorkAvailable(_ reason: String) {
        let event = Longshot_V1_Event.with {
            $0.protocolVersion = WireProtocol.version
            $0.timeMs = Int64(Date().timeIntervalSince1970 * 1000)
            $0.message = "work available: \(reason)"
        }
        guard let bytes = try? event.serializedData() else { return }
        let socket = socket
        Task { try? await socket.publish(topic: Self.workTopic, payload: bytes) }
    }

    /// `publishWorkAvailable` once `date` has passed (a failed window's retry back-off).
    func publishWorkAvailable(_ reason: String, at date: Date) {
        let delay = date.timeIntervalSinceNow
        guard delay > 0 else { return publishWorkAvailable(reason) }
        Task { [self] in
            // A few ms late, so the database's clock has passed not_before too.
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 20))
            publishWorkAvailable(reason)
        }
    }

    func close() { socket.close() }
}

extension Longshot_V1_Event {
    static func make(_ kind: Longshot_V1_EventKind, job: String = "", window: Int? = nil, _ message: String) -> Self {
        .with {
            $0.kind = kind
            $0.jobID = job
            if let window { $0.windowIndex = UInt32(window) }
            $0.message = message
        }
    }
}
