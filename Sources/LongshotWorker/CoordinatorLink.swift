import Foundation
import LongshotClient
import LongshotProtocol
import LongshotTransport

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

    init(address: String, token: String, tls: TLSSettings?) throws {
        client = try FarmClient(address: address, token: token, timeout: .seconds(15), tls: tls)
    }

    func call(_ body: Longshot_V1_Request.OneOf_Body) async throws(FarmCallError) -> Longshot_V1_Response.OneOf_Body {
        do {
            return try await client.call(body)
        } catch let error as FarmClientError {
            switch error.kind {
            case .rejected(let code): throw FarmCallError(code: code, message: error.message)
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
