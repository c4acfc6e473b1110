import LongshotProtocol

/// The rows `longshot watch` draws: one per job, with a bar of windows done.
public struct ProgressBoard: Sendable {
    public struct Row: Sendable, Equatable {
        public var id: String
        public var state: Longshot_V1_JobState
        public var done: Int
        public var total: Int
        public var prompt: String
    }

    /// Rows in first-seen order.
    public private(set) var rows: [Row] = []

    public init() {}

    /// Adds or replaces the row of `row.id`.
    public mutating func set(_ row: Row) {
        if let i = rows.firstIndex(where: { $0.id == row.id }) { rows[i] = row } else { rows.append(row) }
    }

    /// Updates a job from a summary.
    public mutating func set(_ job: Longshot_V1_JobSummary) {
        set(Row(id: job.id, state: job.state, done: Int(job.windowsDone), total: Int(job.windowsTotal), prompt: job.prompt))
    }

    /// Updates a job from its detail.
    public mutating func set(_ job: Longshot_V1_JobDetail) {
        set(Row(id: job.id, state: job.state, done: job.windowsDone, total: job.windows.count, prompt: job.spec.promptText))
    }

    /// Updates a job from an event that carries its progress or state; returns true when something changed.
    @discardableResult
    public mutating func apply(_ event: Longshot_V1_Event) -> Bool {
        guard !event.jobID.isEmpty, let i = rows.firstIndex(where: { $0.id == event.jobID }) else { return false }
        let before = rows[i]
        if event.windowsTotal > 0 {
            rows[i].total = Int(event.windowsTotal)
            rows[i].done = Int(event.windowsDone)
        }
        if event.kind == .jobState, event.jobState != .unspecified { rows[i].state = event.jobState }
        return rows[i] != before
    }

    /// Drops rows of jobs that ended, except the ones in `keep`.
    public mutating func removeFinal(keeping keep: Set<String> = []) {
        rows.removeAll { $0.state.isFinal && !keep.contains($0.id) }
    }

    /// One line per row: id, state, bar, done/total, prompt excerpt.
    public func lines(width: Int = 30) -> [String] {
        let idWidth = rows.map(\.id.count).max() ?? 0
        return rows.map { row in
            let fraction = row.total > 0 ? Double(row.done) / Double(row.total) : 0
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let id = row.id + String(repeating: " ", count: idWidth - row.id.count)
            let state = row.state.word + String(repeating: " ", count: max(0, 9 - row.state.word.count))
            return "\(id)  \(state)  [\(bar)] \(row.done)/\(row.total)  \(row.prompt.excerpt(40))"
        }
    }
}

extension Longshot_V1_Event {
    /// One line for people: time, job, what happened.
    public var text: String {
        var parts = [FarmTime.clock(ms: timeMs)]
        if !jobID.isEmpty { parts.append(jobID) }
        switch kind {
        case .jobState: parts.append(jobState.word)
        default: parts.append(kind.word)
        }
        if hasWindowIndex { parts.append("window \(windowIndex)") }
        if kind == .windowProgress, steps > 0 { parts.append("step \(step)/\(steps)") }
        if !worker.isEmpty { parts.append("(\(worker))") }
        if windowsTotal > 0 { parts.append("[\(windowsDone)/\(windowsTotal)]") }
        var line = parts.joined(separator: " ")
        if !message.isEmpty { line += ": " + message }
        return line
    }

    /// The event as JSON for `watch --json` (one object per line).
    public var jsonObject: [String: Any] {
        [
            "time": JSONText.orNull(FarmTime.iso8601(ms: timeMs)), "job": JSONText.orNull(jobID.isEmpty ? nil : jobID),
            "kind": kind.word, "window": JSONText.orNull(hasWindowIndex ? Int(windowIndex) : nil),
            "state": JSONText.orNull(jobState == .unspecified ? nil : jobState.word), "step": Int(step), "steps": Int(steps),
            "windowsDone": Int(windowsDone), "windowsTotal": Int(windowsTotal),
            "worker": JSONText.orNull(worker.isEmpty ? nil : worker), "message": message,
        ].merging(kind == .preview ? ["group": group] : [:]) { a, _ in a }
    }
}
