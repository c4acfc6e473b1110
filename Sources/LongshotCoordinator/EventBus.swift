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
