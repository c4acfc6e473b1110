import CNNG

/// A failed socket operation: what was attempted, on which address, and why.
///
/// `description` is one line for users; ``kind`` lets callers react, e.g. treat
/// ``Kind/timedOut`` as "coordinator unreachable".
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: Sendable, Equatable {
        /// No answer within the deadline: nobody listens at the address, or the peer is stuck.
        case timedOut
        /// The connection dropped while a reply was awaited (peer closed, or a message exceeded
        /// a receive limit: NNG drops oversize messages without telling anyone).
        case connectionDropped
        /// A message is larger than the configured maximum message size.
        case messageTooLarge
        /// The socket was closed (locally) while the operation was pending.
        case closed
        /// The operation was cancelled (Swift task cancellation).
        case cancelled
        /// The address is malformed or uses an unsupported scheme.
        case invalidAddress
        /// The address is already in use by another listener.
        case addressInUse
        /// Any other NNG failure; see ``TransportError/code`` and ``TransportError/detail``.
        case other
    }

    /// The class of failure.
    public let kind: Kind
    /// What was attempted: "listen", "dial", "request", "reply", "publish", "receive", ...
    public let operation: String
    /// The address the socket listens on or dials.
    public let address: String
    /// The NNG error number, or 0 when the failure was detected in Swift.
    public let code: Int32
    /// Explanation: `nng_strerror` text, possibly with a hint.
    public let detail: String

    /// Creates an error; prefer ``TransportError/nng(_:operation:address:hint:)`` for NNG codes.
    public init(kind: Kind, operation: String, address: String, code: Int32 = 0, detail: String) {
        self.kind = kind
        self.operation = operation
        self.address = address
        self.code = code
        self.detail = detail
    }

    /// Maps an NNG error number to a ``TransportError`` carrying `nng_strerror`'s text.
    public static func nng(_ code: Int32, operation: String, address: String, hint: String? = nil) -> TransportError {
        let text = String(cString: nng_strerror(code))
        let kind: Kind
        switch UInt32(bitPattern: code) {
        case NNG_ETIMEDOUT.rawValue: kind = .timedOut
        case NNG_ECLOSED.rawValue: kind = .closed
        case NNG_ECANCELED.rawValue: kind = .cancelled
        case NNG_EMSGSIZE.rawValue: kind = .messageTooLarge
        case NNG_EADDRINVAL.rawValue, NNG_ENOTSUP.rawValue: kind = .invalidAddress
        case NNG_EADDRINUSE.rawValue: kind = .addressInUse
        case NNG_ECONNSHUT.rawValue, NNG_ECONNRESET.rawValue, NNG_ECONNABORTED.rawValue: kind = .connectionDropped
        default: kind = .other
        }
        return TransportError(
            kind: kind, operation: operation, address: address, code: code,
            detail: hint.map { "\(text) (\($0))" } ?? text)
    }

    /// Whether this is a timeout (``Kind/timedOut``).
    public var isTimeout: Bool { kind == .timedOut }

    /// One line: "request to tcp://host:port failed: Timed out (hint)".
    public var description: String {
        "\(operation) on \(address) failed: \(detail)"
    }
}

/// Throws a ``TransportError`` unless `rv` is 0.
@inline(__always)
func nngCheck(_ rv: Int32, _ operation: String, _ address: String, hint: String? = nil) throws(TransportError) {
    if rv != 0 { throw TransportError.nng(rv, operation: operation, address: address, hint: hint) }
}
