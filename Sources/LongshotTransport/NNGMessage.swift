import CNNG
import Foundation

/// Owns one `nng_msg`. Freed in `deinit` unless ownership was handed to NNG with ``release()``.
///
/// Not Sendable: a message belongs to the one operation that creates or receives it.
final class NNGMessage {
    private var handle: OpaquePointer?

    /// Allocates a message whose body is a copy of `bytes`.
    init(copying bytes: some ContiguousBytes, operation: String, address: String) throws(TransportError) {
        let count = bytes.withUnsafeBytes { $0.count }
        var msg: OpaquePointer?
        try nngCheck(nng_msg_alloc(&msg, count), operation, address)
        if count > 0 {
            bytes.withUnsafeBytes { source in
                nng_msg_body(msg).copyMemory(from: source.baseAddress!, byteCount: count)
            }
        }
        handle = msg
    }

    /// Allocates a message whose body is `prefix` followed by `bytes` (for PUB topics).
    init(prefix: [UInt8], copying bytes: some ContiguousBytes, operation: String, address: String) throws(TransportError) {
        let count = bytes.withUnsafeBytes { $0.count }
        var msg: OpaquePointer?
        try nngCheck(nng_msg_alloc(&msg, prefix.count + count), operation, address)
        let body = nng_msg_body(msg)!
        prefix.withUnsafeBytes { p in
            if !p.isEmpty { body.copyMemory(from: p.baseAddress!, byteCount: p.count) }
        }
        bytes.withUnsafeBytes { source in
            if count > 0 { (body + prefix.count).copyMemory(from: source.baseAddress!, byteCount: count) }
        }
        handle = msg
    }

    /// Takes ownership of a message NNG handed over (e.g. from `nng_aio_get_msg`).
    init(adopting msg: OpaquePointer) {
        handle = msg
    }

    deinit {
        if let handle { nng_msg_free(handle) }
    }

    /// Body length in bytes.
    var count: Int { handle.map { nng_msg_len($0) } ?? 0 }

    /// A copy of the body.
    var data: Data {
        guard let handle, nng_msg_len(handle) > 0 else { return Data() }
        return Data(bytes: nng_msg_body(handle), count: nng_msg_len(handle))
    }

    /// Gives the pointer to NNG, which frees it from now on.
    func release() -> OpaquePointer {
        let msg = handle!
        handle = nil
        return msg
    }
}
