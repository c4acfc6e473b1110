import CNNG
import Synchronization

/// Owns one `nng_aio` and turns its completion callback into the resumption of an `async` call,
/// so no thread of Swift's cooperative pool ever blocks in NNG.
///
/// `@unchecked Sendable`: the aio pointer is immutable and NNG's aio functions are thread-safe;
/// the only mutable state (the waiting continuation) lives in a `Mutex` inside ``Waiter``.
/// One operation runs at a time: callers own an `AsyncIO` per in-flight operation.
final class AsyncIO: @unchecked Sendable {
    /// Holds the continuation of the operation in flight. Retained once on behalf of NNG (the
    /// callback's `arg`) and released only after `nng_aio_free`, which waits for any running
    /// callback: the callback never sees a freed waiter and never runs a deinit.
    final class Waiter: Sendable {
        let continuation = Mutex<CheckedContinuation<Void, Never>?>(nil)

        func resume() {
            continuation.withLock { $0.take() }?.resume()
        }
    }

    let handle: OpaquePointer
    private let waiter: Waiter
    private let waiterRef: Unmanaged<Waiter>

    /// Allocates the aio.
    init(operation: String, address: String) throws(TransportError) {
        let waiter = Waiter()
        let ref = Unmanaged.passRetained(waiter)
        var aio: OpaquePointer?
        let rv = nng_aio_alloc(&aio, asyncIOCallback, ref.toOpaque())
        if rv != 0 {
            ref.release()
            throw TransportError.nng(rv, operation: operation, address: address)
        }
        self.handle = aio!
        self.waiter = waiter
        self.waiterRef = ref
    }

    deinit {
        nng_aio_free(handle)  // aborts anything pending and waits for the callback
        waiterRef.release()
    }

    /// Sets the deadline of the next operation (`NNG_DURATION_INFINITE` for none).
    func setTimeout(_ milliseconds: nng_duration) {
        nng_aio_set_timeout(handle, milliseconds)
    }

    /// Starts an operation with `start` and suspends until NNG completes it; returns
    /// `nng_aio_result`. Task cancellation cancels the aio (result `NNG_ECANCELED`).
    func perform(_ start: (OpaquePointer) -> Void) async -> Int32 {
        let handle = self.handle
        let waiter = self.waiter
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                waiter.continuation.withLock { $0 = c }
                start(handle)
                if Task.isCancelled { nng_aio_cancel(handle) }
            }
        } onCancel: {
            nng_aio_cancel(self.handle)
        }
        return nng_aio_result(handle)
    }
}

/// The one aio callback: capture-free, finds its ``AsyncIO/Waiter`` through `arg`.
private let asyncIOCallback: @convention(c) (UnsafeMutableRawPointer?) -> Void = { arg in
    guard let arg else { return }
    Unmanaged<AsyncIO.Waiter>.fromOpaque(arg).takeUnretainedValue().resume()
}
