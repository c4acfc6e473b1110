/// What can happen to a job, in the order of a normal life.
public enum JobEvent: String, Sendable, Hashable, CaseIterable {
    /// A worker took the job's first window or group.
    case leased
    /// Every window is done: the coordinator stitches (again, after a restart mid-finish).
    case windowsDone
    /// The fused latents are stored as decode segments for workers to encode.
    case stitched
    /// Every segment is encoded and the video stored.
    case encoded
    /// A window, group or segment ran out of attempts, or finishing failed.
    case failed
    /// Its owner or an admin cancelled it.
    case cancelled
    /// Windows were reset to be rendered again (`longshot rerun`).
    case rerun
}

/// What an event does to a job in a given state.
public enum JobTransition: Sendable, Hashable {
    /// The job moves to this state.
    case move(JobState)
    /// Nothing changes, and that is no error (a second lease of a running job, a cancel of an ended one).
    case stay
    /// The event makes no sense in this state (stitching a failed job); the caller drops it.
    case refuse
}

/// The job lifecycle as a pure function: every (state, event) pair has one answer, tested exhaustively
/// (`JobLifecycleTests`). The store's guarded updates take their `WHERE state IN (...)` lists from
/// ``JobState/sources(of:)``, so the SQL and this table cannot disagree.
extension JobState {
    public func on(_ event: JobEvent) -> JobTransition {
        switch (event, self) {
        case (.leased, .queued): .move(.running)
        case (.leased, _): .stay
        // Finishing starts over after a restart: a job caught stitching or encoding stitches again.
        case (.windowsDone, .queued), (.windowsDone, .running), (.windowsDone, .stitching), (.windowsDone, .encoding):
            .move(.stitching)
        case (.stitched, .stitching): .move(.encoding)
        case (.encoded, .queued), (.encoded, .running), (.encoded, .stitching), (.encoded, .encoding): .move(.succeeded)
        case (.failed, _) where !isTerminal: .move(.failed)
        case (.cancelled, _) where !isTerminal: .move(.cancelled)
        case (.cancelled, _): .stay
        // A rerun may reset any job's windows; one with nothing left to render finishes again at once.
        case (.rerun, _): .move(.queued)
        default: .refuse
        }
    }

    /// The states `event` moves a job out of (for a guarded `UPDATE ... WHERE state IN (...)`).
    public static func sources(of event: JobEvent) -> [JobState] {
        allCases.filter { if case .move = $0.on(event) { true } else { false } }
    }

    /// `sources(of:)` as a SQL list: `('queued', 'running')`.
    static func sqlList(_ event: JobEvent) -> String {
        "(" + sources(of: event).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }
}
