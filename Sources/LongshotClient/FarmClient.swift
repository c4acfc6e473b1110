import Foundation
import LongshotProtocol
import LongshotTransport
import Synchronization

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
/// protocol version, the sender's credential and, for a registered worker, its session.
public final class FarmClient: Sendable {
    public let address: String
    private let token: String
    private let socket: ReqSocket
    private let session = Mutex("")

    /// Dials `address` (a comma-separated list: a coordinator and its standbys) with `tls` certificates for
    /// `tls+tcp://` (nothing needs to be listening yet: an unreachable coordinator shows on the first call).
    public init(address: String, token: String, timeout: Duration = .seconds(10), tls: TLSSettings? = nil) throws {
        self.address = address
        self.token = token
        do {
            socket = try ReqSocket(
                dial: address,
                options: TransportOptions(sendTimeout: timeout, receiveTimeout: timeout, resendTime: .seconds(600), tls: tls))
        } catch {
            throw FarmClientError(kind: .unreachable, message: "cannot use coordinator address '\(address)': \(error.detail)")
        }
    }

    deinit { socket.close() }

    /// The worker session every later request carries (from `WorkerRegistered.session`).
    public func setSession(_ secret: String) { session.withLock { $0 = secret } }

    /// Sends one request and returns the reply's body; an error reply throws.
    public func call(_ body: Longshot_V1_Request.OneOf_Body, timeout: Duration? = nil) async throws -> Longshot_V1_Response.OneOf_Body {
        var request = Longshot_V1_Request(token: token, body: body)
        request.header.session = session.withLock { $0 }
        let bytes = try request.serializedData()
        let reply: Data
        do {
            reply = try await socket.request(bytes, timeout: timeout)
        } catch {
            if error.kind == .timedOut || error.kind == .connectionDropped {
                throw FarmClientError(
                    kind: .unreachable,
                    message: "no answer from the coordinator at \(address) (\(error.kind == .timedOut ? "timed out" : "connection dropped")); is it running? Start a local cluster with `longshot up`, or pass --coordinator / set LONGSHOT_COORDINATOR"
                        + (address.contains("tls+tcp://") ? " (over TLS this is also what a certificate the coordinator's CA did not sign, or a server certificate not naming the host, looks like)" : ""))
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
