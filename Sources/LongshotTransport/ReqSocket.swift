import CNNG
import Foundation

/// The requesting side of REQ/REP: dials a server and sends requests, each on its own
/// `nng_ctx`, so any number of `request` calls may be in flight at once.
///
/// `@unchecked Sendable`: all state is immutable after `init`; the socket is an
/// ``SocketHandle`` (NNG sockets and contexts are thread-safe) and each request owns its
/// context and aio for its whole duration.
public final class ReqSocket: @unchecked Sendable {
    private let handle: SocketHandle
    private let drops: PipeDropCounter

    /// The address this socket dials.
    public var address: String { handle.address }
    /// The options this socket was opened with.
    public var options: TransportOptions { handle.options }

    /// Opens a REQ socket and dials `address` (tcp://host:port or ipc:///path) in the
    /// background: no peer needs to be listening yet.
    /// - Throws: ``TransportError`` if the address is malformed or the socket cannot be opened.
    public init(dial address: String, options: TransportOptions = TransportOptions()) throws(TransportError) {
        handle = try SocketHandle(address: address, options: options) { nng_req0_open($0) }
        try nngCheck(nng_socket_set_ms(handle.socket, NNG_OPT_REQ_RESENDTIME, options.resendTime.nngMilliseconds), "set resend-time", address)
        drops = try PipeDropCounter.install(on: handle)
        try handle.dial()
    }

    /// Sends `payload` and waits for the reply.
    /// - Parameters:
    ///   - payload: One message, at most ``TransportOptions/maxMessageBytes``.
    ///   - timeout: Deadline for the whole exchange; default ``TransportOptions/receiveTimeout``.
    /// - Returns: The reply's bytes.
    /// - Throws: ``TransportError``: `.messageTooLarge` before sending anything, `.timedOut` when
    ///   no reply came (nobody listening, or a stuck server), `.connectionDropped` when the
    ///   connection was lost while waiting (peer restart, or a message over a size limit),
    ///   `.closed`, `.cancelled`.
    public func request(_ payload: some ContiguousBytes, timeout: Duration? = nil) async throws(TransportError) -> Data {
        let limit = options.maxMessageBytes
        let size = payload.withUnsafeBytes { $0.count }
        guard size <= limit else {
            throw TransportError(
                kind: .messageTooLarge, operation: "request", address: address,
                detail: "request of \(size) bytes exceeds the \(limit)-byte message limit")
        }
        let deadline = ContinuousClock.now + (timeout ?? options.receiveTimeout)
        var ctx = nng_ctx()
        try nngCheck(nng_ctx_open(&ctx, handle.socket), "request", address)
        defer { nng_ctx_close(ctx) }
        let aio = try AsyncIO(operation: "request", address: address)
        let dropsBefore = drops.count

        let message = try NNGMessage(copying: payload, operation: "request", address: address)
        aio.setTimeout(remaining(until: deadline))
        nng_aio_set_msg(aio.handle, message.release())
        let sent = await aio.perform { nng_ctx_send(ctx, $0) }
        if sent != 0 {
            if let unsent = nng_aio_get_msg(aio.handle) { nng_msg_free(unsent) }
            throw failure(sent, dropsBefore: dropsBefore)
        }

        aio.setTimeout(remaining(until: deadline))
        let received = await aio.perform { nng_ctx_recv(ctx, $0) }
        if received != 0 { throw failure(received, dropsBefore: dropsBefore) }
        return NNGMessage(adopting: nng_aio_get_msg(aio.handle)).data
    }

    /// Closes the socket without blocking; pending requests fail with `.closed`.
    public func close() {
        handle.close()
    }

    private func remaining(until deadline: ContinuousClock.Instant) -> nng_duration {
        max(1, (deadline - ContinuousClock.now).nngMilliseconds)
    }

    private func failure(_ code: Int32, dropsBefore: Int) -> TransportError {
        let dropped = drops.count - dropsBefore
        if UInt32(bitPattern: code) == NNG_ETIMEDOUT.rawValue {
            if dropped > 0 {
                return TransportError(
                    kind: .connectionDropped, operation: "request", address: address, code: code,
                    detail: "no reply; the connection dropped \(dropped) time(s) while waiting: the peer "
                        + "restarted, or a message exceeded a receive limit (\(options.maxMessageBytes) bytes here; "
                        + "NNG drops oversize messages silently)")
            }
            return TransportError.nng(
                code, operation: "request", address: address,
                hint: "no reply: is anything listening at \(address)?")
        }
        return TransportError.nng(code, operation: "request", address: address)
    }
}
