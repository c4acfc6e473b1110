import Foundation

/// The job's Gaussian noise as a function of position: element (frame, channel, y, x) of the whole latent
/// video is standard normal, keyed by the seed and the element's absolute coordinates. A window's slice is
/// bit for bit the same region of the whole tensor, so neighbours agree on their overlap without talking.
public struct NoiseField: Sendable {
    public let seed: UInt64
    /// Distinguishes independent noise streams of one job (the initial latent is stream 0).
    public let stream: UInt32
    private let philox: Philox4x32

    public init(seed: UInt64, stream: UInt32 = 0) {
        self.seed = seed
        self.stream = stream
        self.philox = Philox4x32(seed: seed)
    }

    /// One standard-normal sample for an absolute coordinate.
    @inline(__always)
    public func sample(frame: Int, channel: Int, y: Int, x: Int) -> Float {
        let (a, b, _, _) = philox.block(
            UInt32(truncatingIfNeeded: frame), (UInt32(truncatingIfNeeded: channel) << 16) | stream,
            UInt32(truncatingIfNeeded: y), UInt32(truncatingIfNeeded: x))
        return NoiseField.boxMuller(a, b)
    }

    /// Box-Muller on two 32-bit words; u1 is in (0, 1] so the logarithm is finite.
    @inline(__always)
    static func boxMuller(_ a: UInt32, _ b: UInt32) -> Float {
        let u1 = (Double(a) + 1) * (1.0 / 4_294_967_296.0)
        let u2 = Double(b) * (1.0 / 4_294_967_296.0)
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// Fills `buffer` (layout [frame][channel][y][x], frames `firstFrame..<firstFrame+frames`) with the field.
    public func fill(
        _ buffer: UnsafeMutableBufferPointer<Float>, firstFrame: Int, frames: Int, channels: Int, height: Int,
        width: Int
    ) {
        precondition(buffer.count >= frames * channels * height * width, "noise buffer too small")
        var i = 0
        for f in firstFrame..<(firstFrame + frames) {
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        buffer[i] = sample(frame: f, channel: c, y: y, x: x)
                        i += 1
                    }
                }
            }
        }
    }

    /// Convenience: a freshly allocated slice.
    public func slice(firstFrame: Int, frames: Int, channels: Int, height: Int, width: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: frames * channels * height * width) { buf, n in
            fill(buf, firstFrame: firstFrame, frames: frames, channels: channels, height: height, width: width)
            n = frames * channels * height * width
        }
    }
}
