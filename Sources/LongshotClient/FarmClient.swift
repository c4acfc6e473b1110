import Foundation
import LongshotProtocol
import LongshotTransport

/// Why a call to the coordinator failed, in words a user can act on.
public struct FarmClientError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Nothing answered at the address.
        case unreachable
        /// The coordinator answered with an error.
        case rejected(Longshot_V1_ErrorCode)
        /// The reply could not be read.
        case badReply
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// A connection to a coordinator's control socket: typed requests over REQ/REP, each carrying the
/// protocol version and the cluster token.
public final class FarmClient: Sendable {
    public let address: String
    private let token: String
    private let socket: ReqSocket

    /// Dials `address` (nothing needs to be listening yet: an unreachable coordinator shows on the first call).
    public init(address: String, token: String, timeout: Duration = .seconds(10)) throws {
        self.address = address
        self.token = token
        do {
            socket = try ReqSocket(
                dial: address,
                options: TransportOptions(sendTimeout: timeout, receiveTimeout: timeout, resendTime: .seconds(600)))
        } catch {
            throw FarmClientError(kind: .unreachable, message: "cannot use coordinator address '\(address)': \(error.detail)")
        }
    }

    deinit { socket.close() }

    /// Sends one request and returns the reply's body; an error reply throws.
    public func call(_ body: Longshot_V1_Request.OneOf_Body, timeout: Duration? = nil) async throws -> Longshot_V1_Response.OneOf_Body {
        let request = Longshot_V1_Request(token: token, body: body)
        let bytes = try request.serializedData()
        let reply: Data
        do {
            reply = try await socket.request(bytes, timeout: timeout)
        } catch {
            if error.kind == .timedOut || error.kind == .connectionDropped {
                throw FarmClientError(
                    kind: .unreachable,
                    message: "no answer from the coordinator at \(address) (\(error.kind == .timedOut ? "timed out" : "connection dropped")); is it running? Start a local cluster with `longshot up`, or pass --coordinator / set LONGSHOT_COORDINATOR")
            }
            throw FarmClientError(kind: .unreachable, message: "coordinator at \(address): \(error.description)")
        }
        let response: Longshot_V1_Response
        do {
            response = try Longshot_V1_Response(serializedBytes: reply)
        } catch {
            throw FarmClientError(kind: .badReply, message: "unreadable reply from \(address): \(error)")
        }
        guard let body = response.body else {
            throw FarmClientError(kind: .badReply, message: "empty reply from \(address)")
        }
        if case .error(let e) = body {
            throw FarmClientError(kind: .rejected(e.code), message: e.message)
        }
        return body
    }
}
