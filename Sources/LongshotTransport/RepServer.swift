import CNNG
import Foundation

/// The replying side of REQ/REP: listens on an address and serves requests on N `nng_ctx`
/// contexts at once, each running `handler` for one request at a time.
///
/// ```swift
/// let server = try RepServer(listen: "tcp://0.0.0.0:7450", contexts: 8) { request in
///     await handle(request)
/// }
/// Task { try await server.run() }
/// ...
/// server.close()
/// ```
///
/// `@unchecked Sendable`: all stored properties are immutable after `init`; the socket is an
/// ``SocketHandle`` (NNG sockets and contexts are thread-safe) and each serving loop owns its
/// context and aio.
public final class RepServer: @unchecked Sendable {
    /// Handles one request's bytes and returns the reply's bytes.
    public typealias Handler = @Sendable (Data) async -> Data
    /// Builds the reply sent instead of one over the size limit, from its size and the limit.
    public typealias OversizeReply = @Sendable (_ size: Int, _ limit: Int) -> Data

    private let handle: SocketHandle
    private let listener: nng_listener
    private let contexts: Int
    private let handler: Handler
    private let oversizeReply: OversizeReply
    private let connectionLimit: ConnectionLimit?

    /// The address given to `init`.
    public var address: String { handle.address }
    /// The options this socket was opened with.
    public var options: TransportOptions { handle.options }

    /// The address actually bound: for tcp:// with port 0, the port the system chose.
    public var boundAddress: String { resolvedAddress(of: listener, requested: address) }

    /// Opens a REP socket and listens on `address` (tcp://host:port, ipc:///path).
    /// - Parameters:
    ///   - contexts: Requests served concurrently (at least 1).
    ///   - oversizeReply: Replaces a handler reply larger than ``TransportOptions/maxMessageBytes``
    ///     (which the peer would drop silently); the default sends an empty message. Protocol
    ///     users encode an error here.
    ///   - maxConnections: Connections kept at once; one more is closed as it arrives (nil: no cap).
    ///   - handler: Called for each request; its result is the reply.
    /// - Throws: ``TransportError`` when the address is malformed or in use.
    public init(
        listen address: String, contexts: Int = 8, options: TransportOptions = TransportOptions(),
        maxConnections: Int? = nil,
        oversizeReply: @escaping OversizeReply = { _, _ in Data() },
        handler: @escaping Handler
    ) throws(TransportError) {
        let handle = try SocketHandle(address: address, options: options) { nng_rep0_open($0) }
        self.handle = handle
        if let maxConnections {
            connectionLimit = try ConnectionLimit.install(maxConnections, on: handle)
        } else {
            connectionLimit = nil
        }
        listener = try handle.listen()
        self.contexts = max(1, contexts)
        self.handler = handler
        self.oversizeReply = oversizeReply
    }

    /// Connections open now and those refused for being over the cap (nil without a cap).
    public var connections: (open: Int, refused: Int)? { connectionLimit.map { ($0.open, $0.refused) } }

    /// Serves requests until ``close()`` is called (or the task is cancelled).
    /// - Throws: ``TransportError`` if a context cannot be opened.
    public func run() async throws(TransportError) {
        var opened: [nng_ctx] = []
        for _ in 0..<contexts {
            var ctx = nng_ctx()
            let rv = nng_ctx_open(&ctx, handle.socket)
            if rv != 0 {
                opened.forEach { nng_ctx_close($0) }
                throw TransportError.nng(rv, operation: "serve", address: address)
            }
            opened.append(ctx)
        }
        let ctxs = opened
        await withTaskGroup(of: Void.self) { group in
            for ctx in ctxs {
                group.addTask { await self.serve(on: ctx) }
            }
        }
    }

    /// Stops serving without blocking: ``run()`` returns once the contexts see the close.
    public func close() {
        handle.close()
    }

    /// One context's loop: receive, handle, reply, until the socket closes.
    private func serve(on ctx: nng_ctx) async {
        defer { nng_ctx_close(ctx) }
        guard let aio = try? AsyncIO(operation: "serve", address: address) else { return }
        let limit = options.maxMessageBytes
        let sendTimeout = options.sendTimeout.nngMilliseconds
        while !handle.isClosed {
            aio.setTimeout(NNG_DURATION_INFINITE)
            let received = await aio.perform { nng_ctx_recv(ctx, $0) }
            if received != 0 {
                if isFatal(received) { return }
                continue
            }
            let request = NNGMessage(adopting: nng_aio_get_msg(aio.handle)).data
            var reply = await handler(request)
            if reply.count > limit { reply = oversizeReply(reply.count, limit) }
            guard let message = try? NNGMessage(copying: reply, operation: "reply", address: address) else { continue }
            aio.setTimeout(sendTimeout)
            nng_aio_set_msg(aio.handle, message.release())
            let sent = await aio.perform { nng_ctx_send(ctx, $0) }
            if sent != 0 {
                if let unsent = nng_aio_get_msg(aio.handle) { nng_msg_free(unsent) }
                if isFatal(sent) { return }
            }
        }
    }

    private func isFatal(_ code: Int32) -> Bool {
        let code = UInt32(bitPattern: code)
        return code == NNG_ECLOSED.rawValue || code == NNG_ECANCELED.rawValue || Task.isCancelled
    }
}
