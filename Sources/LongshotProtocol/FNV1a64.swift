import Foundation

/// The 64-bit FNV-1a hash, the checksum of `Tensor.data`.
///
/// Offset basis 0xcbf29ce484222325, prime 0x100000001b3, one byte at a time:
/// `hash = (hash ^ byte) &* prime`. Easy to reproduce in any language (see docs/protocol.md).
public struct FNV1a64: Sendable, Equatable {
    /// The FNV-1a 64 offset basis.
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The FNV-1a 64 prime.
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The hash of everything fed so far.
    public private(set) var value: UInt64 = FNV1a64.offsetBasis

    /// A hasher at the offset basis.
    public init() {}

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* FNV1a64.prime
        }
        value = hash
    }

    /// The hash of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = FNV1a64()
        hasher.update(bytes)
        return hasher.value
    }

    /// The hash of a contiguous byte collection (`Data`, `[UInt8]`).
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
