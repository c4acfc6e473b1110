import CLongshotKernels

/// Splits independent row-wise work (softmax rows, norms, activations) across ``ComputeThreads``.
///
/// Each row is processed by exactly one thread with the same arithmetic, so results do not depend on the
/// thread count. With one thread, little work, or inside a parallel task, `body` runs inline on the caller's thread.
public enum ParallelRows {
    /// Calls `body` on disjoint subranges covering `0..<count`, concurrently when worthwhile.
    /// - Parameter minimumChunk: the fewest rows worth handing to another thread.
    @inlinable
    public static func forEach(_ count: Int, minimumChunk: Int = 16, _ body: (Range<Int>) -> Void) {
        let workers = min(ComputeThreads.count, count / max(minimumChunk, 1))
        if workers <= 1 || lk_task_depth() > 0 {
            body(0..<count)
            return
        }
        let chunk = (count + workers - 1) / workers
        ComputeThreads.forEachTask(workers, workers: workers) { w, _ in
            let start = w * chunk
            if start < count { body(start..<min(start + chunk, count)) }
        }
    }
}
