/// What can happen to a window, a codenoise group or a decode segment: the three are leased, retried and
/// rerun alike (the `windows`, `groups` and `segments` tables share their state and lease columns).
public enum WorkEvent: String, Sendable, Hashable, CaseIterable {
    /// A worker took a lease on it.
    case granted
    /// Its result was stored under its current lease.
    case completed
    /// The worker reported the lease failed.
    case failed
    /// The lease ran out, or its worker was lost, before a result.
    case expired
    /// Its job was cancelled, or a stopping worker gave the lease back: not counted as an attempt.
    case givenBack
    /// Reset to be rendered again (`longshot rerun`).
    case rerun
}

/// The lease lifecycle of windows, groups and segments as a pure function: every (state, event) pair,
/// with or without attempts left, has one answer (nil: the event does not apply, nothing changes), tested
/// exhaustively (`WorkLifecycleTests`). The store's SQL takes its guards and target states from here.
extension WindowState {
    public func on(_ event: WorkEvent, attemptsLeft: Bool = true) -> WindowState? {
        switch (self, event) {
        case (.pending, .granted): .leased
        case (.leased, .completed): .done
        // A failure or an expiry counts as an attempt: with none left the work fails, and its job with it.
        case (.leased, .failed), (.leased, .expired): attemptsLeft ? .pending : .failed
        case (.leased, .givenBack): .pending
        case (_, .rerun): .pending
        default: nil
        }
    }

    /// The states `event` applies in (for a guarded `UPDATE ... WHERE state IN (...)`).
    public static func sources(of event: WorkEvent) -> [WindowState] {
        allCases.filter { $0.on(event, attemptsLeft: true) != nil || $0.on(event, attemptsLeft: false) != nil }
    }

    /// `sources(of:)` as a SQL list: `('leased')`.
    static func sqlList(_ event: WorkEvent) -> String {
        "(" + sources(of: event).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    /// The SQL expression for the state `event` moves leased work to, given its `attempts` and
    /// `max_attempts` columns (already counting the attempt that just ended).
    static func sqlAfterLease(_ event: WorkEvent, attempts: String = "attempts", maxAttempts: String = "max_attempts") -> String {
        let left = WindowState.leased.on(event, attemptsLeft: true)!.rawValue
        let none = WindowState.leased.on(event, attemptsLeft: false)!.rawValue
        return left == none ? "'\(left)'" : "CASE WHEN \(attempts) >= \(maxAttempts) THEN '\(none)' ELSE '\(left)' END"
    }
}

/// A worker's state as a pure function of its row: offline until its next heartbeat, then blocked,
/// draining, busy while it holds a lease, else idle. The store's SQL is ``sqlDerived(holdsLease:)``,
/// checked against this function for every input (`WorkLifecycleTests`).
extension WorkerState {
    public static func derived(from current: WorkerState, blocked: Bool, drain: Bool, holdsLease: Bool) -> WorkerState {
        if current == .offline { return .offline }
        if blocked { return .blocked }
        if drain { return .draining }
        return holdsLease ? .busy : .idle
    }

    /// ``derived(from:blocked:drain:holdsLease:)`` over a `workers` row; `holdsLease` is a boolean SQL expression.
    static func sqlDerived(holdsLease: String = sqlHoldsLease) -> String {
        """
        CASE WHEN state = 'offline' THEN 'offline' WHEN blocked THEN 'blocked' WHEN drain THEN 'draining'
            WHEN \(holdsLease) THEN 'busy' ELSE 'idle' END
        """
    }

    /// Whether the `workers` row's worker holds a window, group or segment lease.
    static let sqlHoldsLease = """
        (EXISTS (SELECT 1 FROM windows WHERE lease_owner = workers.id AND state = 'leased')
            OR EXISTS (SELECT 1 FROM groups WHERE lease_owner = workers.id AND state = 'leased')
            OR EXISTS (SELECT 1 FROM segments WHERE lease_owner = workers.id AND state = 'leased'))
        """

    /// The SQL of ``sqlDerived(holdsLease:)`` for tests, with the lease test given as a literal.
    public static func sqlDerivedForTesting(holdsLease: Bool) -> String { sqlDerived(holdsLease: holdsLease ? "true" : "false") }
}
