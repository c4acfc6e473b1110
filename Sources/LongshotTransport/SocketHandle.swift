import CNNG
import Foundation
import Synchronization

/// Owns one `nng_socket` and its option settings; closes it once, in ``close()`` or `deinit`.
///
/// `@unchecked Sendable`: NNG sockets are thread-safe (every `nng_socket_*`, `nng_dial`,
/// `nng_listen` and aio operation may be called from any thread); the socket id is immutable and
/// the only mutable state, the closed flag, is in a `Mutex`.
final class SocketHandle: @unchecked Sendable {
    let socket: nng_socket
    /// The address the socket was bound to or dialled (for errors).
    let address: String
    let options: TransportOptions
    private let closed = Mutex(false)
    /// Released on the closing thread after `nng_close` returns (pipe-notify state).
    private let retainedUntilClosed = Mutex<[any AnyObject & Sendable]>([])

    /// Opens a socket with `open` (e.g. `nng_req0_open`) and applies `options`.
    init(
        address: String, options: TransportOptions,
        open: (UnsafeMutablePointer<nng_socket>) -> Int32
    ) throws(TransportError) {
        var socket = nng_socket()
        try nngCheck(open(&socket), "open", address)
        self.socket = socket
        self.address = address
        self.options = options
        try apply(options)
    }

    deinit {
        close()
    }

    private func apply(_ options: TransportOptions) throws(TransportError) {
        try nngCheck(nng_socket_set_size(socket, NNG_OPT_RECVMAXSZ, options.maxMessageBytes), "set recv-size-max", address)
        try nngCheck(nng_socket_set_ms(socket, NNG_OPT_RECVTIMEO, options.receiveTimeout.nngMilliseconds), "set recv-timeout", address)
        try nngCheck(nng_socket_set_ms(socket, NNG_OPT_SENDTIMEO, options.sendTimeout.nngMilliseconds), "set send-timeout", address)
    }

    /// Listens on `address` (tcp://host:port, ipc:///path); returns the listener.
    func listen() throws(TransportError) -> nng_listener {
        var listener = nng_listener()
        try nngCheck(nng_listener_create(&listener, socket, address), "listen", address)
        try nngCheck(nng_listener_set_size(listener, NNG_OPT_RECVMAXSZ, options.maxMessageBytes), "listen", address)
        do throws(TransportError) {
            if let config = try tlsConfig(server: true, address: address) {
                defer { nng_tls_config_free(config) }
                try nngCheck(nng_listener_set_ptr(listener, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config)), "listen", address)
            }
        } catch {
            nng_listener_close(listener)
            throw error
        }
        let rv = nng_listener_start(listener, 0)
        if rv != 0 {
            nng_listener_close(listener)
            throw TransportError.nng(rv, operation: "listen", address: address)
        }
        return listener
    }

    /// Dials `address` in the background: the call succeeds even when nobody listens yet and
    /// NNG keeps reconnecting; operations then time out until a peer is there. A comma-separated list
    /// dials every address (an active coordinator and its standbys: only the active one listens, so
    /// requests go to it, and to the next one once it takes over).
    func dial() throws(TransportError) {
        for target in Self.addresses(address) {
            var dialer = nng_dialer()
            try nngCheck(nng_dialer_create(&dialer, socket, target), "dial", target)
            try nngCheck(nng_dialer_set_size(dialer, NNG_OPT_RECVMAXSZ, options.maxMessageBytes), "dial", target)
            if let config = try tlsConfig(server: false, address: target) {
                defer { nng_tls_config_free(config) }
                try nngCheck(nng_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, UnsafeMutableRawPointer(config)), "dial", target)
            }
            try nngCheck(nng_dialer_start(dialer, Int32(NNG_FLAG_NONBLOCK)), "dial", target)
        }
    }

    /// The addresses of a comma-separated list, trimmed.
    static func addresses(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The TLS configuration for a listener or dialer of a `tls+tcp://` address (nil for other addresses);
    /// the listener or dialer keeps its own reference, so the caller frees this one.
    private func tlsConfig(server: Bool, address: String) throws(TransportError) -> OpaquePointer? {
        guard TLSSettings.isTLS(address) else { return nil }
        guard let tls = options.tls else {
            throw TransportError(
                kind: .invalidAddress, operation: server ? "listen" : "dial", address: address,
                detail: "a tls+tcp:// address needs certificates: --tls-ca, --tls-cert and --tls-key (or LONGSHOT_TLS_CA, LONGSHOT_TLS_CERT, LONGSHOT_TLS_KEY)")
        }
        return try tls.makeConfig(server: server, address: address)
    }

    /// Keeps `object` alive until the socket is closed (state an NNG callback points to).
    func retainUntilClosed(_ object: any AnyObject & Sendable) {
        retainedUntilClosed.withLock { $0.append(object) }
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { closed.withLock { $0 } }

    /// Closes the socket without blocking the caller: pending operations end with
    /// ``TransportError/Kind/closed``. `nng_close` runs on its own thread because NNG 1.5.2 can
    /// hang in it after a connection dropped an oversize message; a hang then costs one parked
    /// thread, never the caller. Idempotent.
    func close() {
        let wasClosed = closed.withLock { flag in
            defer { flag = true }
            return flag
        }
        if wasClosed { return }
        let socket = self.socket
        let keep = retainedUntilClosed.withLock { $0 }
        let thread = Thread {
            nng_close(socket)
            withExtendedLifetime(keep) {}
        }
        thread.name = "nng-close"
        thread.start()
    }
}
