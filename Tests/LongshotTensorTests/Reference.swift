import Foundation
import LongshotTensor

/// A small deterministic generator (SplitMix64) for test inputs.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func scalar() -> Float { Float(Double(next() >> 11) / Double(1 << 53) * 2 - 1) }
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<n).map { _ in scalar() * scale })
    }
}

/// The largest |a - b| / max(|b|, floor) over two equally sized arrays.
func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(abs(y), floor)) }
    return worst
}

/// Naive references in Double, written out loop by loop.
enum Naive {
    static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    /// Attention per head on `tokens x (heads * d)` rows, with an optional key mask.
    static func attention(q: [Float], k: [Float], v: [Float], queries: Int, keys: Int, heads: Int, d: Int, mask: [Bool]?) -> [Float] {
        let width = heads * d
        var out = [Float](repeating: 0, count: queries * width)
        let scale = 1 / Double(d).squareRoot()
        for h in 0..<heads {
            for i in 0..<queries {
                var scores = [Double](repeating: -.infinity, count: keys)
                for j in 0..<keys where mask?[j] ?? true {
                    var s = 0.0
                    for e in 0..<d { s += Double(q[i * width + h * d + e]) * Double(k[j * width + h * d + e]) }
                    scores[j] = s * scale
                }
                let top = scores.max() ?? -.infinity
                if top == -.infinity { continue }
                let weights = scores.map { exp($0 - top) }
                let total = weights.reduce(0, +)
                for e in 0..<d {
                    var acc = 0.0
                    for j in 0..<keys { acc += weights[j] * Double(v[j * width + h * d + e]) }
                    out[i * width + h * d + e] = Float(acc / total)
                }
            }
        }
        return out
    }
}
