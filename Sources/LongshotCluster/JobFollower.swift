import Foundation
import LongshotClient
import LongshotProtocol

/// Follows a job until it reaches a final state (succeeded, failed, cancelled): `ShowJob` whenever the
/// job's events say it changed (`WatchEvents`, long-polled), at most every `interval` unless its state
/// changed, and at least every second.
/// A coordinator that stops answering for a while (a restart) is waited for, up to `patience`.
public struct JobFollower: Sendable {
    public let client: FarmClient
    public let jobID: String
    /// Time between polls.
    public var interval: Duration
    /// How long the coordinator may be unreachable before following gives up.
    public var patience: Duration

    public init(client: FarmClient, jobID: String, interval: Duration = .milliseconds(200), patience: Duration = .seconds(120)) {
        self.client = client
        self.jobID = jobID
        self.interval = interval
        self.patience = patience
    }

    /// The job now.
    public func show() async throws -> Longshot_V1_JobDetail { try await client.job(jobID) }

    /// Follows until the job is final and returns it; `update` sees every `ShowJob` result.
    /// - Throws: ``FarmClientError`` when the coordinator rejects the request or stays unreachable past `patience`.
    public func waitUntilFinal(_ update: (Longshot_V1_JobDetail) -> Void) async throws -> Longshot_V1_JobDetail {
        let clock = ContinuousClock()
        var unreachableSince: ContinuousClock.Instant?
        // Where the event stream ends now, taken before the first look so no change in between is missed.
        var cursor = try? await client.events(job: jobID, after: 0, epoch: "", wait: .zero)
        while true {
            let shown = clock.now
            do {
                let detail = try await show()
                unreachableSince = nil
                update(detail)
                if detail.state.isFinal { return detail }
            } catch let error as FarmClientError where error.kind == .unreachable {
                let since = unreachableSince ?? clock.now
                unreachableSince = since
                if clock.now - since > patience { throw error }
            }
            guard let seen = cursor else {
                // No events from this coordinator (or not now): poll.
                try await Task.sleep(for: interval)
                cursor = try? await client.events(job: jobID, after: 0, epoch: "", wait: .zero)
                continue
            }
            // Wait for the job's next events; a state change is shown at once, anything else at most every `interval`.
            var stateChanged = false
            var next = seen
            while !stateChanged, clock.now - shown < .seconds(1) {
                guard let batch = try? await client.events(job: jobID, after: next.last, epoch: next.epoch, wait: .seconds(1) - (clock.now - shown)) else {
                    cursor = nil
                    break
                }
                next = batch
                cursor = batch
                stateChanged = batch.events.contains { $0.kind == .jobState }
                if !batch.events.isEmpty, clock.now - shown >= interval { break }
            }
            if cursor == nil { try await Task.sleep(for: interval) }
        }
    }
}
