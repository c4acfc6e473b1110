import Foundation
import LongshotStore
import LongshotTestSupport

/// A migrated store on a fresh database.
func makeStore(blockAfterFailures: Int = 3) throws -> FarmStore {
    let store = try FarmStore(url: try TestPostgres.freshDatabase())
    store.blockAfterFailures = blockAfterFailures
    return store
}

/// `count` contiguous windows of `frames` frames each.
func spans(_ count: Int, frames: Int = 8) -> [WindowSpan] {
    (0..<count).map { WindowSpan(index: $0, firstFrame: $0 * frames, frameCount: frames) }
}

/// Registers a worker with a test name.
func register(_ store: FarmStore, _ name: String) throws -> String {
    try store.registerWorker(WorkerInfo(name: name, host: "test-host", pid: 42, engine: "synthetic", version: "test"))
}

/// A job with `count` windows and `maxAttempts`.
@discardableResult
func submit(_ store: FarmStore, windows count: Int = 3, priority: Int = 0, maxAttempts: Int = 3) throws -> String {
    let id = FarmStore.newJobID()
    try store.insertJob(
        id: id, spec: #"{"prompt": "a red ball", "seed": 7, "engine": "synthetic"}"#, priority: priority, windows: spans(count),
        maxAttempts: maxAttempts)
    return id
}
