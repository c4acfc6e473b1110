import Foundation
import LongshotProtocol

// The lowercase words the CLI prints and `--json` carries for the protocol's enums.

extension Longshot_V1_JobState {
    /// queued, running, stitching, encoding, succeeded, failed, cancelled (or unknown).
    public var word: String {
        switch self {
        case .queued: "queued"
        case .running: "running"
        case .stitching: "stitching"
        case .encoding: "encoding"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }

    /// True for succeeded, failed and cancelled: nothing more will happen to the job.
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// The state named by `word`, if any.
    public init?(word: String) {
        guard let state = Self.allCases.first(where: { $0.word == word.lowercased() && $0 != .unspecified }) else { return nil }
        self = state
    }
}

extension Longshot_V1_WindowState {
    /// pending, leased, done, failed (or unknown).
    public var word: String {
        switch self {
        case .pending: "pending"
        case .leased: "leased"
        case .done: "done"
        case .failed: "failed"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}

extension Longshot_V1_WorkerState {
    /// idle, busy, draining, blocked, offline (or unknown).
    public var word: String {
        switch self {
        case .idle: "idle"
        case .busy: "busy"
        case .draining: "draining"
        case .blocked: "blocked"
        case .offline: "offline"
        case .unspecified, .UNRECOGNIZED: "unknown"
        }
    }
}

extension Longshot_V1_EventKind {
    /// A short word for the event kind.
    public var word: String {
        switch self {
        case .jobSubmitted: "submitted"
        case .jobState: "state"
        case .windowLeased: "leased"
        case .windowProgress: "progress"
        case .windowDone: "done"
        case .windowFailed: "failed"
        case .workerJoined: "worker-joined"
        case .workerLost: "worker-lost"
        case .log: "log"
        case .preview: "preview"
        case .unspecified, .UNRECOGNIZED: "event"
        }
    }
}

/// Times and durations as the CLI prints them.
public enum FarmTime {
    /// Milliseconds since 1970 as ISO-8601 UTC with milliseconds (`2025-01-31T12:00:00.250Z`); nil for 0.
    public static func iso8601(ms: Int64) -> String? {
        guard ms > 0 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// Local wall-clock time `HH:mm:ss` of a millisecond timestamp.
    public static func clock(ms: Int64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// How long ago `ms` was, compactly (`4s`, `3m12s`, `2h05m`, `3d04h`); `-` for 0.
    public static func age(ms: Int64, now: Date = Date()) -> String {
        guard ms > 0 else { return "-" }
        return span(seconds: max(0, now.timeIntervalSince1970 - Double(ms) / 1000))
    }

    /// A duration compactly (`4s`, `3m12s`, `2h05m`, `3d04h`).
    public static func span(seconds: Double) -> String {
        let s = Int(seconds)
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m\(String(format: "%02d", s % 60))s"
        case ..<86400: return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
        default: return "\(s / 86400)d\(String(format: "%02d", s % 86400 / 3600))h"
        }
    }

    /// Milliseconds as seconds with one decimal (`12.3s`); `-` for 0.
    public static func duration(ms: UInt64) -> String {
        ms == 0 ? "-" : String(format: "%.1fs", Double(ms) / 1000)
    }
}
