import Foundation
import Synchronization

/// The worker's log: timestamped lines on standard error, the last ones kept for failure reports.
public final class WorkerLog: Sendable {
    private let recent = Mutex<[String]>([])
    private let keep: Int
    private let name: String

    public init(name: String, keep: Int = 40) {
        self.name = name
        self.keep = keep
    }

    public func info(_ message: String) { write("info", message) }
    public func error(_ message: String) { write("error", message) }

    /// The last lines, oldest first.
    public func tail(_ lines: Int = 20) -> String {
        recent.withLock { $0.suffix(lines).joined(separator: "\n") }
    }

    private func write(_ level: String, _ message: String) {
        let line = "\(ISO8601DateFormatter().string(from: Date())) \(level) worker=\(name) \(message)"
        recent.withLock {
            $0.append(line)
            if $0.count > keep { $0.removeFirst($0.count - keep) }
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
