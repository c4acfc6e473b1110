import CNNG
import Foundation

/// The publishing side of PUB/SUB: listens on an address and broadcasts topic-tagged messages
/// to every subscriber whose subscription matches. Delivery is best effort (a slow or absent
/// subscriber misses messages): use it for live events, not for state.
///
/// `@unchecked Sendable`: all state is immutable after `init`; the socket is an
/// ``SocketHandle`` (NNG sockets are thread-safe) and each publish owns its aio.
public final class PubSocket: @unchecked Sendable {
    private let handle: SocketHandle
    private let listener: nng_listener

    /// The address given to `init`.
    public var address: String { handle.address }
    /// The address actually bound: for tcp:// with port 0, the port the system chose.
    public var boundAddress: String { resolvedAddress(of: listener, requested: address) }

    /// Opens a PUB socket listening on `address` (tcp://host:port, ipc:///path).
    /// - Throws: ``TransportError`` when the address is malformed or in use.
    public init(listen address: String, options: TransportOptions = TransportOptions()) throws(TransportError) {
        handle = try SocketHandle(address: address, options: options) { nng_pub0_open($0) }
        listener = try handle.listen()
    }

    /// Publishes `payload` under `topic` (e.g. a job id; "" for cluster-wide messages).
    /// - Throws: ``TransportError``: `.messageTooLarge` over the size limit, `.invalidAddress`
    ///   for a topic containing a 0x00 byte, `.closed`.
    public func publish(topic: String, payload: some ContiguousBytes) async throws(TransportError) {
        guard !topic.utf8.contains(TopicFrame.separator) else {
            throw TransportError(kind: .other, operation: "publish", address: address, detail: "topic contains a 0x00 byte")
        }
        let prefix = TopicFrame.subscriptionPrefix(topic)
        let size = prefix.count + payload.withUnsafeBytes { $0.count }
        guard size <= handle.options.maxMessageBytes else {
            throw TransportError(
                kind: .messageTooLarge, operation: "publish", address: address,
                detail: "event of \(size) bytes exceeds the \(handle.options.maxMessageBytes)-byte message limit")
        }
        let message = try NNGMessage(prefix: prefix, copying: payload, operation: "publish", address: address)
        let aio = try AsyncIO(operation: "publish", address: address)
        aio.setTimeout(handle.options.sendTimeout.nngMilliseconds)
        nng_aio_set_msg(aio.handle, message.release())
        let rv = await aio.perform { nng_send_aio(handle.socket, $0) }
        if rv != 0 {
            if let unsent = nng_aio_get_msg(aio.handle) { nng_msg_free(unsent) }
            throw TransportError.nng(rv, operation: "publish", address: address)
        }
    }

    /// Closes the socket without blocking.
    public func close() {
        handle.close()
    }
}
