import LongshotStore
import Testing

/// The job lifecycle, every (state, event) pair against the table written out here by hand.
@Suite("job lifecycle")
struct JobLifecycleTests {
    typealias T = JobTransition

    /// Rows: states in `JobState.allCases` order (queued, running, stitching, encoding, succeeded, failed, cancelled).
    static let expected: [JobEvent: [T]] = [
        .leased: [.move(.running), .stay, .stay, .stay, .stay, .stay, .stay],
        .windowsDone: [.move(.stitching), .move(.stitching), .move(.stitching), .move(.stitching), .refuse, .refuse, .refuse],
        .stitched: [.refuse, .refuse, .move(.encoding), .refuse, .refuse, .refuse, .refuse],
        .encoded: [.move(.succeeded), .move(.succeeded), .move(.succeeded), .move(.succeeded), .refuse, .refuse, .refuse],
        .failed: [.move(.failed), .move(.failed), .move(.failed), .move(.failed), .refuse, .refuse, .refuse],
        .cancelled: [.move(.cancelled), .move(.cancelled), .move(.cancelled), .move(.cancelled), .stay, .stay, .stay],
        .rerun: Array(repeating: .move(.queued), count: 7),
    ]

    @Test("every state answers every event as the table says", arguments: JobEvent.allCases)
    func table(_ event: JobEvent) {
        let row = Self.expected[event]!
        #expect(row.count == JobState.allCases.count)
        for (state, want) in zip(JobState.allCases, row) {
            #expect(state.on(event) == want, "\(state) on \(event)")
        }
    }

    @Test("an ended job moves only by a rerun; a live job cannot skip stitching or encoding backwards")
    func properties() {
        for state in JobState.allCases where state.isTerminal {
            for event in JobEvent.allCases where event != .rerun {
                if case .move = state.on(event) { Issue.record("\(state) moves on \(event)") }
            }
        }
        // From encoding, nothing but a new finish, success, failure, cancel or rerun.
        #expect(JobState.encoding.on(.stitched) == .refuse)
        #expect(JobState.sources(of: .leased) == [.queued])
        #expect(JobState.sources(of: .failed) == [.queued, .running, .stitching, .encoding])
        #expect(JobState.sources(of: .stitched) == [.stitching])
    }
}
