import Foundation
import LongshotTensor
import Testing

@Suite struct RotaryEmbeddingTests {
    @Test(arguments: [RotaryEmbedding.Pairing.interleaved, .halves])
    func oneDimensionalMatchesFormula(pairing: RotaryEmbedding.Pairing) {
        var rng = SeededRandom(seed: 10)
        let (tokens, heads, d) = (5, 2, 8)
        let x = rng.tensor([tokens, heads * d])
        let rope = RotaryEmbedding(positions: tokens, headDim: d, theta: 10_000, pairing: pairing)
        let y = rope.applied(to: x, heads: heads)
        var expected = x.scalars
        for t in 0..<tokens {
            for h in 0..<heads {
                for p in 0..<(d / 2) {
                    let angle = Double(t) * pow(10_000, -Double(2 * p) / Double(d))
                    let (i, j) = pairing == .interleaved ? (2 * p, 2 * p + 1) : (p, p + d / 2)
                    let base = t * heads * d + h * d
                    let a = Double(x.scalars[base + i]), b = Double(x.scalars[base + j])
                    expected[base + i] = Float(a * cos(angle) - b * sin(angle))
                    expected[base + j] = Float(a * sin(angle) + b * cos(angle))
                }
            }
        }
        #expect(maxRelativeError(y.scalars, expected) < 1e-5)
    }

    @Test func scoresDependOnlyOnRelativePosition() {
        var rng = SeededRandom(seed: 11)
        let d = 16
        let q = rng.tensor([1, d]), k = rng.tensor([1, d])
        let rope = RotaryEmbedding(positions: 40, headDim: d)
        func rotated(_ x: Tensor, at position: Int) -> [Float] {
            var rows = Tensor(shape: [40, d])
            rows.withUnsafeMutableBufferPointer { p in
                for e in 0..<d { p[position * d + e] = x.scalars[e] }
            }
            let r = rope.applied(to: rows, heads: 1)
            return Array(r.scalars[(position * d)..<((position + 1) * d)])
        }
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map(*).reduce(0, +) }
        let s1 = dot(rotated(q, at: 10), rotated(k, at: 3)), s2 = dot(rotated(q, at: 37), rotated(k, at: 30))
        #expect(abs(s1 - s2) < 1e-4)
    }

    @Test func threeDimensionalSplitsTheHeadByAxis() {
        let (frames, height, width) = (3, 4, 5)
        let dims = (time: 4, height: 6, width: 6)
        let rope = RotaryEmbedding(frames: frames, height: height, width: width, axisDims: dims, frameOffset: 2)
        #expect(rope.positions == frames * height * width && rope.pairs == 8)
        for (t, y, x) in [(0, 0, 0), (1, 2, 3), (2, 3, 4)] {
            let token = (t * height + y) * width + x
            var expectedAngles = [Double]()
            for (coordinate, axisDim) in [(t + 2, dims.time), (y, dims.height), (x, dims.width)] {
                for i in 0..<(axisDim / 2) { expectedAngles.append(Double(coordinate) * pow(10_000, -Double(2 * i) / Double(axisDim))) }
            }
            for p in 0..<8 {
                #expect(abs(rope.cosines[token * 8 + p] - Float(cos(expectedAngles[p]))) < 1e-6)
                #expect(abs(rope.sines[token * 8 + p] - Float(sin(expectedAngles[p]))) < 1e-6)
            }
        }
    }
}
