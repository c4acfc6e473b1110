import CFFmpeg

/// SHA-256 through libavutil's implementation (already linked for video), for provenance tags and for the
/// digests of finished windows.
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hex characters.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digest = hash(Array(bytes))
        return digest.map { String(format: $0) }.joined()
    }

    public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

    /// The 32-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        guard let context = av_sha_alloc() else { fatalError("av_sha_alloc: out of memory") }
        defer { av_free(UnsafeMutableRawPointer(context)) }
        av_sha_init(context, 256)
        bytes.withUnsafeBufferPointer { av_sha_update(context, $0.baseAddress, $0.count) }
        var out = [UInt8](repeating: 0, count: 32)
        av_sha_final(context, &out)
        return out
    }

    /// The digest of a float buffer's little-endian bytes.
    public static func hex(floats: [Float]) -> String {
        floats.withUnsafeBytes { raw in hex(raw.bindMemory(to: UInt8.self)) }
    }

    private static func String(format byte: UInt8) -> Swift.String {
        let digits = Array("0123456789abcdef")
        return Swift.String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
