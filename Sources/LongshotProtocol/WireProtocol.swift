/// Constants of the Longshot wire protocol (see docs/protocol.md).
public enum WireProtocol {
    /// The protocol version this build speaks; sent in every `Header` and `Response`.
    public static let version: UInt32 = 1
    /// Default maximum size of one NNG message, both directions: 64 MiB.
    public static let defaultMaxMessageBytes = 64 << 20
    /// Default cap on one `VideoChunk`'s data: 4 MiB.
    public static let defaultVideoChunkBytes = 4 << 20
}
