import Foundation
import SwiftProtobuf

extension Longshot_V1_Header {
    /// A header for the current protocol version carrying the credential `token`.
    public init(token: String, requestID: String = "") {
        self.init()
        protocolVersion = WireProtocol.version
        self.token = token
        self.requestID = requestID
    }
}

extension Longshot_V1_Header {
    /// The header of a serialized ``Longshot_V1_Request``, read without decoding its body (which is skipped,
    /// not copied), so a receiver can check the credential before it parses a large body.
    public init(ofRequest bytes: Data) throws {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        self = try Longshot_V1_RequestEnvelope(serializedBytes: bytes, options: options).header
    }
}

extension Longshot_V1_Request {
    /// A request with a current-version header carrying `token`.
    public init(token: String, body: Longshot_V1_Request.OneOf_Body) {
        self.init()
        header = Longshot_V1_Header(token: token)
        self.body = body
    }
}

extension Longshot_V1_Error {
    /// An error with a code and a one-line message.
    public init(code: Longshot_V1_ErrorCode, message: String) {
        self.init()
        self.code = code
        self.message = message
    }
}

extension Longshot_V1_Response {
    /// A current-version response with `body`.
    public init(body: Longshot_V1_Response.OneOf_Body) {
        self.init()
        protocolVersion = WireProtocol.version
        self.body = body
    }

    /// A current-version error response.
    public static func error(_ code: Longshot_V1_ErrorCode, _ message: String) -> Longshot_V1_Response {
        Longshot_V1_Response(body: .error(Longshot_V1_Error(code: code, message: message)))
    }

    /// The serialized error response a server sends instead of a reply over the size limit
    /// (pass to `RepServer(oversizeReply:)`).
    public static func tooLargeReply(size: Int, limit: Int) -> Data {
        let response = error(.tooLarge, "reply of \(size) bytes exceeds the \(limit)-byte message limit")
        return (try? response.serializedData()) ?? Data()
    }
}

/// Compares two byte strings in time that depends only on their lengths: equal only when the lengths are
/// equal and every byte is (a longer string padded with NULs is not equal).
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var diff: UInt8 = a.count == b.count ? 0 : 1
    for i in 0..<max(a.count, b.count) {
        diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return diff == 0
}
