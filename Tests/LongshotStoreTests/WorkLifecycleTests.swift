import LongshotStore
import LongshotTestSupport
import Testing

/// The lease lifecycle of windows, groups and segments, and the worker state, as pure functions, and
/// the SQL the store derives from them.
@Suite struct WorkLifecycleTests {
    @Test(arguments: WindowState.allCases) func everyStateAndEventHasOneAnswer(_ state: WindowState) {
        for event in WorkEvent.allCases {
            for left in [true, false] {
                let next = state.on(event, attemptsLeft: left)
                switch (state, event) {
                case (.pending, .granted): #expect(next == .leased)
                case (.leased, .completed): #expect(next == .done)
                case (.leased, .failed), (.leased, .expired): #expect(next == (left ? .pending : .failed))
                case (.leased, .givenBack): #expect(next == .pending, "not counted: attempts left or not")
                case (_, .rerun): #expect(next == .pending)
                default: #expect(next == nil, "\(event) in \(state) must change nothing")
                }
            }
        }
    }

    @Test func theGuardsAreTheStatesAnEventAppliesIn() {
        #expect(WindowState.sources(of: .granted) == [.pending])
        for event in [WorkEvent.completed, .failed, .expired, .givenBack] { #expect(WindowState.sources(of: event) == [.leased]) }
        #expect(WindowState.sources(of: .rerun) == WindowState.allCases)
        // Nothing comes back from done or failed but a rerun; nothing is leased but from pending.
        for state in [WindowState.done, .failed] {
            #expect(WorkEvent.allCases.filter { state.on($0) != nil } == [.rerun])
        }
        #expect(WindowState.allCases.filter { $0.on(.granted) == .leased } == [.pending])
    }

    @Test func theWorkerStateSQLAgreesWithTheFunctionForEveryRow() throws {
        let store = try makeStore()
        for current in WorkerState.allCases {
            for blocked in [false, true] {
                for drain in [false, true] {
                    for holds in [false, true] {
                        let sql = "SELECT \(WorkerState.sqlDerivedForTesting(holdsLease: holds)) FROM (SELECT $1::text AS state, $2::bool AS blocked, $3::bool AS drain) AS workers"
                        let got = try store.connection.query(sql, [.text(current.rawValue), .bool(blocked), .bool(drain)]).first!.string(0)
                        let want = WorkerState.derived(from: current, blocked: blocked, drain: drain, holdsLease: holds)
                        #expect(got == want.rawValue, "\(current) blocked \(blocked) drain \(drain) holds \(holds)")
                    }
                }
            }
        }
    }
}
