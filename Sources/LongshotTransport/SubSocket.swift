import CNNG
import Foundation

/// The subscribing side of PUB/SUB: dials a publisher and receives the messages whose topic
/// it subscribed to. Receives nothing until the first ``subscribe(topic:)`` or ``subscribeAll()``.
///
/// `@unchecked Sendable`: all state is immutable after `init`; the socket is an
/// ``SocketHandle`` (NNG sockets are thread-safe) and each receive owns its aio.
public final class SubSocket: @unchecked Sendable {
    /// One received message.
    public struct Message: Sendable, Equatable {
        /// The topic it was published under.
        public var topic: String
        /// The payload (for Longshot, a serialized `Event`).
        public var payload: Data
    }

    private let handle: SocketHandle

    /// The address this socket dials.
    public var address: String { handle.address }

    /// Opens a SUB socket and dials `address` in the background.
    /// - Throws: ``TransportError`` when the address is malformed.
    public init(dial address: String, options: TransportOptions = TransportOptions()) throws(TransportError) {
        handle = try SocketHandle(address: address, options: options) { nng_sub0_open($0) }
        try handle.dial()
    }

    /// Receives messages published under exactly `topic` (e.g. one job id).
    public func subscribe(topic: String) throws(TransportError) {
        try setSubscription(NNG_OPT_SUB_SUBSCRIBE, TopicFrame.subscriptionPrefix(topic), "subscribe")
    }

    /// Receives every message.
    public func subscribeAll() throws(TransportError) {
        try setSubscription(NNG_OPT_SUB_SUBSCRIBE, TopicFrame.subscriptionPrefix(nil), "subscribe")
    }

    /// Stops receiving messages under `topic`.
    public func unsubscribe(topic: String) throws(TransportError) {
        try setSubscription(NNG_OPT_SUB_UNSUBSCRIBE, TopicFrame.subscriptionPrefix(topic), "unsubscribe")
    }

    private func setSubscription(_ option: String, _ prefix: [UInt8], _ operation: String) throws(TransportError) {
        let rv = prefix.withUnsafeBytes { nng_socket_set(handle.socket, option, $0.baseAddress, $0.count) }
        try nngCheck(rv, operation, address)
    }

    /// Waits for the next message.
    /// - Parameter timeout: Deadline; default ``TransportOptions/receiveTimeout``. To wait
    ///   indefinitely, loop while the error is `.timedOut`.
    /// - Throws: ``TransportError``: `.timedOut`, `.closed`, `.cancelled`.
    public func receive(timeout: Duration? = nil) async throws(TransportError) -> Message {
        let aio = try AsyncIO(operation: "receive", address: address)
        while true {
            aio.setTimeout((timeout ?? handle.options.receiveTimeout).nngMilliseconds)
            let rv = await aio.perform { nng_recv_aio(handle.socket, $0) }
            if rv != 0 { throw TransportError.nng(rv, operation: "receive", address: address) }
            let data = NNGMessage(adopting: nng_aio_get_msg(aio.handle)).data
            // A message without a separator is not ours: skip it.
            if let (topic, payload) = TopicFrame.split(data) { return Message(topic: topic, payload: payload) }
        }
    }

    /// Closes the socket without blocking; a pending ``receive(timeout:)`` fails with `.closed`.
    public func close() {
        handle.close()
    }
}
