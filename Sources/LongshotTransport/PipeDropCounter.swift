import CNNG
import Synchronization

/// Counts connections (pipes) a socket lost, through `nng_pipe_notify`.
///
/// A REQ uses it to tell "nobody answered" from "the connection dropped while I waited",
/// which is how NNG reports a message over a receive limit: it closes the connection.
final class PipeDropCounter: Sendable {
    private let drops = Atomic<Int>(0)

    /// Connections lost so far.
    var count: Int { drops.load(ordering: .acquiring) }

    fileprivate func increment() { drops.add(1, ordering: .releasing) }

    /// Registers a counter on `handle`; it lives until the socket is closed.
    static func install(on handle: SocketHandle) throws(TransportError) -> PipeDropCounter {
        let counter = PipeDropCounter()
        handle.retainUntilClosed(counter)
        let arg = Unmanaged.passUnretained(counter).toOpaque()
        try nngCheck(nng_pipe_notify(handle.socket, NNG_PIPE_EV_REM_POST, pipeRemoved, arg), "pipe-notify", handle.address)
        return counter
    }
}

/// Capture-free pipe callback: `arg` is a ``PipeDropCounter`` kept alive by its socket.
private let pipeRemoved: @convention(c) (nng_pipe, nng_pipe_ev, UnsafeMutableRawPointer?) -> Void = { _, _, arg in
    guard let arg else { return }
    Unmanaged<PipeDropCounter>.fromOpaque(arg).takeUnretainedValue().increment()
}
