import Foundation
import LongshotStore

extension Coordinator {
    /// True when an error, or one beneath it, says a disk is full: ENOSPC from a file write or from
    /// FFmpeg, or PostgreSQL's `disk_full` (SQLSTATE 53100).
    static func isOutOfSpace(_ error: any Error) -> Bool {
        if let error = error as? PostgresError { return error.sqlState == "53100" }
        if let error = error as? CocoaError, error.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain, ns.code == Int(ENOSPC) { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error, isOutOfSpace(underlying) { return true }
        return "\(error)".contains("No space left on device")
    }

    /// A job whose finish ran out of disk space stays `stitching` or `encoding` with everything it has
    /// (windows, segments) and is not failed: the first time, the coordinator logs one line naming the
    /// data directory and stores it as a `job.waiting_for_space` event; it holds the job for
    /// `outOfSpaceRetry`, after which the sweep tries again, until space has been freed.
    func waitForSpace(_ id: String, _ error: any Error) async {
        if outOfSpace.withLock({ $0.insert(id).inserted }) {
            let place =
                error is PostgresError
                ? "PostgreSQL: \(error)" : "data directory \(config.dataDirectory.path): no space left on device"
            let message = "out of disk space while finishing (\(place)); the job keeps its windows and finishes once space is freed"
            log.error("job \(id): \(message)", metadata: ["job.id": "\(id)"])
            _ = try? await database.run { try $0.appendEvent(jobID: id, kind: "job.waiting_for_space", message: message) }
            await publish(.make(.log, job: id, message))
        }
        try? await Task.sleep(for: config.outOfSpaceRetry)
    }
}
