import Foundation
import LongshotTensor
import Testing

@Suite struct VectorMathTests {
    @Test func expIsAccurateAcrossItsRange() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(VectorMath.exp(x)) - exact) / exact)
            x += 0.173
        }
        #expect(worst < 3e-7)
        #expect(VectorMath.exp(-.infinity) < 1e-37)
        #expect(VectorMath.exp(0) == 1)
        #expect(VectorMath.exp(1000).isFinite)
    }

    @Test func tanhIsAccurateAndSaturates() {
        var worst: Double = 0
        var x: Float = -12
        while x < 12 {
            worst = max(worst, abs(Double(VectorMath.tanh(x)) - Foundation.tanh(Double(x))))
            x += 0.0137
        }
        #expect(worst < 3e-7)
        #expect(VectorMath.tanh(100) == 1 && VectorMath.tanh(-100) == -1)
    }

    @Test func reductionsMatchPlainLoops() {
        var rng = SeededRandom(seed: 13)
        for n in [0, 1, 7, 8, 9, 33] {
            let v = (0..<n).map { _ in rng.scalar() * 10 }
            v.withUnsafeBufferPointer { p in
                let base = p.baseAddress ?? UnsafePointer(bitPattern: 8)!
                #expect(VectorMath.maximum(base, count: n) == (v.max() ?? -.infinity))
                #expect(abs(VectorMath.sum(base, count: n) - v.reduce(0, +)) < 1e-4)
            }
        }
    }
}
