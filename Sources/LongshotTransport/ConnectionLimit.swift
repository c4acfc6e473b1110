import CNNG
import Synchronization

/// Caps the connections (pipes) a listening socket keeps: one over the cap is closed as it arrives,
/// before any of its messages is read (`NNG_PIPE_EV_ADD_PRE`).
final class ConnectionLimit: Sendable {
    let limit: Int
    private let admitted = Mutex<Set<UInt32>>([])
    private let refusedCount = Atomic<Int>(0)

    private init(limit: Int) { self.limit = limit }

    /// Connections open now.
    var open: Int { admitted.withLock { $0.count } }
    /// Connections closed for being over the cap so far.
    var refused: Int { refusedCount.load(ordering: .relaxed) }

    fileprivate func arrived(_ pipe: nng_pipe) {
        let id = nng_pipe_id(pipe)
        let admit = admitted.withLock { set -> Bool in
            guard set.count < limit else { return false }
            set.insert(UInt32(bitPattern: id))
            return true
        }
        if !admit {
            refusedCount.add(1, ordering: .relaxed)
            nng_pipe_close(pipe)
        }
    }

    fileprivate func left(_ pipe: nng_pipe) {
        let id = UInt32(bitPattern: nng_pipe_id(pipe))
        _ = admitted.withLock { $0.remove(id) }
    }

    /// Installs a cap of `limit` connections on `handle`; it lives until the socket is closed.
    static func install(_ limit: Int, on handle: SocketHandle) throws(TransportError) -> ConnectionLimit {
        let cap = ConnectionLimit(limit: max(1, limit))
        handle.retainUntilClosed(cap)
        let arg = Unmanaged.passUnretained(cap).toOpaque()
        try nngCheck(nng_pipe_notify(handle.socket, NNG_PIPE_EV_ADD_PRE, pipeArrived, arg), "pipe-notify", handle.address)
        try nngCheck(nng_pipe_notify(handle.socket, NNG_PIPE_EV_REM_POST, pipeLeft, arg), "pipe-notify", handle.address)
        return cap
    }
}

/// Capture-free pipe callbacks: `arg` is a ``ConnectionLimit`` kept alive by its socket.
private let pipeArrived: @convention(c) (nng_pipe, nng_pipe_ev, UnsafeMutableRawPointer?) -> Void = { pipe, _, arg in
    guard let arg else { return }
    Unmanaged<ConnectionLimit>.fromOpaque(arg).takeUnretainedValue().arrived(pipe)
}

private let pipeLeft: @convention(c) (nng_pipe, nng_pipe_ev, UnsafeMutableRawPointer?) -> Void = { pipe, _, arg in
    guard let arg else { return }
    Unmanaged<ConnectionLimit>.fromOpaque(arg).takeUnretainedValue().left(pipe)
}
