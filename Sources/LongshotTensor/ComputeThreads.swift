import Dispatch
import Foundation
import CLongshotKernels
import Synchronization

/// The threads the tensor kernels spread their work over: matrix products split into fixed row chunks,
/// attention into (head, query block) tasks, element-wise kernels into row ranges. OpenBLAS itself runs
/// single-threaded inside each task, so concurrent callers never share its thread pool.
///
/// Work is always cut the same way, whatever the thread count, and every task does the same arithmetic
/// on whichever thread runs it: results are bit-identical with 1 thread or 16.
public enum ComputeThreads {
    private static let storage = Atomic<Int>(initialCount())

    /// `LONGSHOT_THREADS`, else `OPENBLAS_NUM_THREADS`, else the number of active processors.
    private static func initialCount() -> Int {
        let environment = ProcessInfo.processInfo.environment
        for name in ["LONGSHOT_THREADS", "OPENBLAS_NUM_THREADS"] {
            if let text = environment[name], let value = Int(text), value > 0 { return value }
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The number of threads a kernel call uses (at least 1).
    public static var count: Int { storage.load(ordering: .relaxed) }

    /// Sets the number of threads kernel calls use from now on.
    /// - Precondition: `count >= 1`.
    public static func set(_ count: Int) {
        precondition(count >= 1, "compute threads must be at least 1, got \(count)")
        storage.store(count, ordering: .relaxed)
    }

    /// Runs `body(task, worker)` once for every task in `0..<tasks`, on up to `count` threads; task `t` runs
    /// on worker `t % workers`, so a worker may keep per-worker scratch memory indexed by `worker`.
    ///
    /// Called from inside a task, the tasks run inline on the calling thread (as worker 0), so a parallel
    /// region may call kernels that are themselves parallel.
    ///
    /// - Parameter workers: the number of workers to use (`min(count, tasks)` when `nil`); pass the value
    ///   that per-worker scratch was sized for.
    @inlinable
    public static func forEachTask(_ tasks: Int, workers: Int? = nil, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let workers = max(1, min(workers ?? count, tasks))
        if workers == 1 || lk_task_depth() > 0 {
            for t in 0..<tasks { body(t, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let work = TaskWork(body: escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                lk_task_depth_add(1)
                defer { lk_task_depth_add(-1) }
                for t in stride(from: w, to: tasks, by: workers) { work.body(t, w) }
            }
        }
    }

    /// Runs `body` on the row ranges `0..<rows` cut into chunks of `chunk` rows, spread over the threads
    /// (inline when nested, or when `parallel` is false); the cut depends on `rows` and `chunk` only.
    @inlinable
    public static func forEachRowChunk(
        _ rows: Int, chunk: Int = BLAS.rowChunk, parallel: Bool = true, _ body: (Range<Int>) -> Void
    ) {
        let chunks = (rows + chunk - 1) / chunk
        forEachTask(chunks, workers: parallel ? nil : 1) { t, _ in body(t * chunk ..< min(rows, (t + 1) * chunk)) }
    }
}

/// The task closure handed to worker threads. `@unchecked Sendable`: tasks write disjoint memory (their
/// rows, their worker's scratch) and `concurrentPerform` returns before the captures go out of scope.
@usableFromInline
struct TaskWork: @unchecked Sendable {
    @usableFromInline let body: (Int, Int) -> Void
    @usableFromInline init(body: @escaping (Int, Int) -> Void) { self.body = body }
}
