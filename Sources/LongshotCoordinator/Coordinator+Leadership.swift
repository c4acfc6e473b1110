import Foundation
import LongshotStore

/// The active coordinator gave up: another one on the same database holds the leadership now.
public struct LeadershipLost: Error, CustomStringConvertible {
    public var description: String {
        "another coordinator became active on this database while this one was cut off from it; stopping (restart this one as a standby)"
    }
}

extension Coordinator {
    /// Becomes the active coordinator: at once when no other holds the database's leader lock, else as a
    /// standby that polls until the active one is gone. Returns false when stopped while waiting.
    func becomeActive() async throws -> Bool {
        var waited = false
        var lastProblem = ""
        let since = ContinuousClock.now
        while !isStopped {
            switch await leader.tryAcquire() {
            case .held:
                if waited {
                    log.info("active: took over after \(ContinuousClock.now - since) as a standby")
                }
                return true
            case .heldByAnother:
                if !waited { log.info("standby: another coordinator is active on this database; taking over when it stops") }
                waited = true
            case .unreachable(let problem):
                if problem != lastProblem { log.error("leadership: the database is unreachable (\(problem)); retrying") }
                lastProblem = problem
            }
            try await Task.sleep(for: config.leadershipPoll)
        }
        return false
    }

    /// Checks the leader lock while serving. A lost database (its connection dropped) is waited out: the
    /// lock is taken again when it is back, unless another coordinator got it first, and then this one
    /// stops (its workers follow to the new active coordinator by their address list).
    func holdLeadership() async throws {
        var cutOff = false
        while !isStopped {
            try await Task.sleep(for: config.leadershipPoll)
            switch await leader.tryAcquire() {
            case .held:
                if cutOff { log.info("leadership: the database is back and this coordinator is still the active one") }
                cutOff = false
            case .heldByAnother:
                log.error("\(LeadershipLost())")
                stop()
                throw LeadershipLost()
            case .unreachable(let problem):
                if !cutOff { log.error("leadership: lost the database connection (\(problem)); serving on, taking the lock again when it is back") }
                cutOff = true
            }
        }
    }
}
