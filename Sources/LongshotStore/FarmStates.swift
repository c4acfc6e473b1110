/// A job's lifecycle state (the `jobs.state` column).
public enum JobState: String, Sendable, Hashable, CaseIterable, Codable {
    case queued, running, stitching, encoding, succeeded, failed, cancelled

    /// True for states a job leaves only through an explicit rerun.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A window's state (the `windows.state` column).
public enum WindowState: String, Sendable, Hashable, CaseIterable, Codable {
    case pending, leased, done, failed
}

/// A worker's state as the farm sees it (the `workers.state` column).
public enum WorkerState: String, Sendable, Hashable, CaseIterable, Codable {
    case idle, busy, draining, blocked, offline
}

/// How one lease ended (the `attempts.outcome` column); `running` while it is held.
public enum AttemptOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    case running, done, failed, expired, cancelled
}
