import Foundation
import LongshotClient
import LongshotProtocol

/// Follows a job by polling `ShowJob` until it reaches a final state (succeeded, failed, cancelled).
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

    /// Polls until the job is final and returns it; `update` sees every poll's result.
    /// - Throws: ``FarmClientError`` when the coordinator rejects the request or stays unreachable past `patience`.
    public func waitUntilFinal(_ update: (Longshot_V1_JobDetail) -> Void) async throws -> Longshot_V1_JobDetail {
        let clock = ContinuousClock()
        var unreachableSince: ContinuousClock.Instant?
        while true {
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
            try await Task.sleep(for: interval)
        }
    }
}
