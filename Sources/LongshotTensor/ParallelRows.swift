import Dispatch

/// Splits independent row-wise work (softmax rows, norms, activations) across as many threads as OpenBLAS
/// is configured to use, so the scalar kernels between two sgemm calls scale like the sgemm calls do.
///
/// Each row is processed by exactly one thread with the same arithmetic, so results do not depend on the
/// thread count. With one BLAS thread, or little work, `body` runs inline on the caller's thread.
public enum ParallelRows {
    /// Calls `body` on disjoint subranges covering `0..<count`, concurrently when worthwhile.
    /// - Parameter minimumChunk: the fewest rows worth handing to another thread.
    @inlinable
    public static func forEach(_ count: Int, minimumChunk: Int = 16, _ body: (Range<Int>) -> Void) {
        let workers = min(BLAS.threadCount, count / max(minimumChunk, 1))
        if workers <= 1 {
            body(0..<count)
            return
        }
        let chunk = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { escapable in
            let work = RowWork(body: escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let start = w * chunk
                if start < count { work.body(start..<min(start + chunk, count)) }
            }
        }
    }
}

/// The row closure handed to the worker threads. `@unchecked Sendable`: every thread gets a disjoint row
/// range, the callers' kernels write only their own rows, and `concurrentPerform` returns before the
/// closure's captures go out of scope.
@usableFromInline
struct RowWork: @unchecked Sendable {
    @usableFromInline let body: (Range<Int>) -> Void
    @usableFromInline init(body: @escaping (Range<Int>) -> Void) { self.body = body }
}
