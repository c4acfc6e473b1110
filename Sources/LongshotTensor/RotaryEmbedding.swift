#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding (RoPE): cosine and sine tables for a sequence of token positions, applied to
/// query and key rows in place.
///
/// The head dimension is rotated in `headDim / 2` pairs. Pair `p` of a token turns by the angle
/// `table[token][p]`; ``Pairing`` says which two scalars form a pair. The 3D variant splits the pairs into
/// three contiguous sections, for time, height and width, each with its own frequency ladder
/// `theta^(-2i / axisDim)` driven by that axis's coordinate (as in Wan2.1 and HunyuanVideo).
public struct RotaryEmbedding: Sendable {
    /// Which scalars of a head form a rotated pair.
    public enum Pairing: Sendable {
        /// Pair `p` is `(2p, 2p + 1)` (a complex view of adjacent scalars; Wan2.1, LLaMA's original code).
        case interleaved
        /// Pair `p` is `(p, p + headDim / 2)` (`rotate_half`; GPT-NeoX, HF transformers).
        case halves
    }

    /// The number of token positions.
    public let positions: Int
    /// The number of rotated pairs per head: `headDim / 2`.
    public let pairs: Int
    /// The pairing convention.
    public let pairing: Pairing
    /// `positions x pairs` cosines and sines, row-major.
    public let cosines: [Float]
    public let sines: [Float]

    /// Tables for a 1D sequence of positions `offset ..< offset + positions`.
    /// - Parameters: headDim: the rotated width (even). theta: the frequency base.
    public init(positions: Int, headDim: Int, theta: Double = 10_000, offset: Int = 0, pairing: Pairing = .interleaved) {
        precondition(headDim % 2 == 0, "RoPE head dimension \(headDim) must be even")
        let inverse = Self.inverseFrequencies(axisDim: headDim, theta: theta)
        self.init(positions: positions, pairs: headDim / 2, pairing: pairing) { token, pair in
            Double(token + offset) * inverse[pair]
        }
    }

    /// Tables for a `frames x height x width` grid of tokens in frame-major, then row, then column order.
    ///
    /// - Parameters:
    ///   - axisDims: how much of the head dimension each axis rotates: `(time, height, width)`, each even,
    ///     summing to `headDim`.
    ///   - frameOffset: the time coordinate of the first frame (for a window inside a longer video).
    public init(
        frames: Int, height: Int, width: Int, axisDims: (time: Int, height: Int, width: Int),
        theta: Double = 10_000, frameOffset: Int = 0, pairing: Pairing = .interleaved
    ) {
        let dims = [axisDims.time, axisDims.height, axisDims.width]
        precondition(dims.allSatisfy { $0 % 2 == 0 && $0 >= 0 }, "RoPE axis dimensions \(dims) must be even")
        let ladders = dims.map { Self.inverseFrequencies(axisDim: $0, theta: theta) }
        let flat = ladders[0] + ladders[1] + ladders[2]
        let sectionOf = ladders.enumerated().flatMap { axis, ladder in Array(repeating: axis, count: ladder.count) }
        let plane = height * width
        self.init(positions: frames * plane, pairs: flat.count, pairing: pairing) { token, pair in
            let coordinate: Int
            switch sectionOf[pair] {
            case 0: coordinate = token / plane + frameOffset
            case 1: coordinate = (token % plane) / width
            default: coordinate = token % width
            }
            return Double(coordinate) * flat[pair]
        }
    }

    private init(positions: Int, pairs: Int, pairing: Pairing, angle: (Int, Int) -> Double) {
        self.positions = positions
        self.pairs = pairs
        self.pairing = pairing
        var cosines = [Float](repeating: 0, count: positions * pairs)
        var sines = cosines
        for t in 0..<positions {
            for p in 0..<pairs {
                let a = angle(t, p)
                cosines[t * pairs + p] = Float(cos(a))
                sines[t * pairs + p] = Float(sin(a))
            }
        }
        self.cosines = cosines
        self.sines = sines
    }

    /// `theta^(-2i / axisDim)` for `i in 0 ..< axisDim / 2`.
    public static func inverseFrequencies(axisDim: Int, theta: Double) -> [Double] {
        (0..<(axisDim / 2)).map { pow(theta, -Double(2 * $0) / Double(axisDim)) }
    }

    /// Rotates every head of `rows` token rows in place.
    ///
    /// - Parameters:
    ///   - data: `rows` rows of `heads * headDim` scalars (row stride `stride`); row `r` uses position
    ///     `firstPosition + r`.
    ///   - headDim: must equal `2 * pairs`.
    public func apply(
        to data: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int, headDim: Int, firstPosition: Int = 0
    ) {
        precondition(headDim == 2 * pairs, "RoPE tables rotate \(2 * pairs) scalars per head, head is \(headDim)")
        precondition(firstPosition >= 0 && firstPosition + rows <= positions, "RoPE tables hold \(positions) positions, got rows \(firstPosition)..<\(firstPosition + rows)")
        cosines.withUnsafeBufferPointer { cosBuffer in
            sines.withUnsafeBufferPointer { sinBuffer in
                ParallelRows.forEach(rows, minimumChunk: 64) { range in
                    for r in range {
                        rotate(
                            data + r * stride, heads: heads, headDim: headDim,
                            cos: cosBuffer.baseAddress! + (firstPosition + r) * pairs,
                            sin: sinBuffer.baseAddress! + (firstPosition + r) * pairs)
                    }
                }
            }
        }
    }

    /// Rotates every head of one row by one position's angles.
    @inline(__always)
    private func rotate(
        _ row: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, cos c: UnsafePointer<Float>, sin s: UnsafePointer<Float>
    ) {
        for h in 0..<heads {
            let head = row + h * headDim
            switch pairing {
            case .interleaved:
                for p in 0..<pairs {
                    let x = head[2 * p], y = head[2 * p + 1]
                    head[2 * p] = x * c[p] - y * s[p]
                    head[2 * p + 1] = x * s[p] + y * c[p]
                }
            case .halves:
                for p in 0..<pairs {
                    let x = head[p], y = head[p + pairs]
                    head[p] = x * c[p] - y * s[p]
                    head[p + pairs] = x * s[p] + y * c[p]
                }
            }
        }
    }

    /// The rows of `tensor` (`tokens x (heads * headDim)`) rotated by their positions.
    public func applied(to tensor: Tensor, heads: Int) -> Tensor {
        precondition(tensor.rank == 2, "RoPE takes a rank-2 tensor of tokens x (heads * headDim)")
        var out = tensor
        let width = tensor.shape[1]
        out.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            apply(to: base, rows: tensor.shape[0], stride: width, heads: heads, headDim: width / heads)
        }
        return out
    }
}
