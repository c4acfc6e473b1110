import Foundation
import LongshotClient
import LongshotProtocol
import LongshotTransport
import Synchronization

/// A failed call, classified for the worker's retry decisions.
struct FarmCallError: Error, CustomStringConvertible {
    var code: Longshot_V1_ErrorCode?
    var message: String
    /// The coordinator could not be reached or asked us to come back later.
    var isRetryable: Bool { code == nil || code == .unavailable }
    var isLeaseLost: Bool { code == .leaseLost || code == .notFound }
    var description: String { message }
}

/// The worker's connection to its coordinator.
final class CoordinatorLink: Sendable {
    let client: FarmClient
    private let started = ContinuousClock.now
    /// Milliseconds after `started` of the coordinator's last answer (an error reply counts).
    private let lastAnswer = Atomic<Int64>(0)

    /// How long the coordinator has not answered anything.
    var silence: Duration {
        let since = Duration.milliseconds(lastAnswer.load(ordering: .relaxed))
        return ContinuousClock.now - (started + since)
    }

    private func answered() {
        let elapsed = ContinuousClock.now - started
        lastAnswer.store(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000, ordering: .relaxed)
    }

    init(address: String, token: String, tls: TLSSettings?) throws {
        client = try FarmClient(address: address, token: token, timeout: .seconds(15), tls: tls)
    }

    func call(_ body: Longshot_V1_Request.OneOf_Body) async throws(FarmCallError) -> Longshot_V1_Response.OneOf_Body {
        do {
            let reply = try await client.call(body)
            answered()
            return reply
        } catch let error as FarmClientError {
            switch error.kind {
            case .rejected(let code):
                answered()
                throw FarmCallError(code: code, message: error.message)
            default: throw FarmCallError(code: nil, message: error.message)
            }
        } catch {
            throw FarmCallError(code: .internal, message: "\(error)")
        }
    }

    /// Calls until it succeeds, fails for good, or `limit` passes (the coordinator or its database may be
    /// restarting: a finished window is never dropped for that).
    @discardableResult
    func callRetrying(_ body: Longshot_V1_Request.OneOf_Body, for limit: Duration) async throws(FarmCallError) -> Longshot_V1_Response.OneOf_Body {
        let deadline = ContinuousClock.now + limit
        var pause = Duration.milliseconds(200)
        while true {
            do {
                return try await call(body)
            } catch where error.isRetryable && ContinuousClock.now + pause < deadline {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}
