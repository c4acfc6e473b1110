import CNNG

/// Limits and timeouts applied to every socket. The defaults suit a farm on one network.
public struct TransportOptions: Sendable, Equatable {
    /// Largest message accepted or sent, in bytes (`NNG_OPT_RECVMAXSZ`). NNG drops a larger
    /// incoming message silently, so both ends must agree; sends above it fail locally.
    public var maxMessageBytes: Int
    /// Deadline for handing a message to the transport (`NNG_OPT_SENDTIMEO`).
    public var sendTimeout: Duration
    /// Deadline for a reply or a published event (`NNG_OPT_RECVTIMEO`).
    public var receiveTimeout: Duration
    /// How long a REQ waits before sending a request again (`NNG_OPT_REQ_RESENDTIME`).
    public var resendTime: Duration
    /// Certificates for `tls+tcp://` addresses (required there, unused elsewhere).
    public var tls: TLSSettings?

    /// Default maximum message size: 64 MiB.
    public static let defaultMaxMessageBytes = 64 << 20

    /// Creates options; every parameter has a default.
    public init(
        maxMessageBytes: Int = TransportOptions.defaultMaxMessageBytes,
        sendTimeout: Duration = .seconds(10),
        receiveTimeout: Duration = .seconds(30),
        resendTime: Duration = .seconds(60),
        tls: TLSSettings? = nil
    ) {
        self.tls = tls
        self.maxMessageBytes = maxMessageBytes
        self.sendTimeout = sendTimeout
        self.receiveTimeout = receiveTimeout
        self.resendTime = resendTime
    }
}

extension Duration {
    /// Milliseconds as an `nng_duration`, clamped to Int32, never negative.
    var nngMilliseconds: nng_duration {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow || seconds < 0 { return seconds < 0 ? 0 : Int32.max }
        return nng_duration(clamping: max(0, ms.partialValue + attoseconds / 1_000_000_000_000_000))
    }
}
