import LongshotTensor
import Testing

@Suite struct MatmulTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesNaive(transposeA: Bool, transposeB: Bool) {
        var rng = SeededRandom(seed: 1)
        let (m, n, k) = (37, 29, 53)
        let a = rng.tensor(transposeA ? [k, m] : [m, k])
        let b = rng.tensor(transposeB ? [n, k] : [k, n])
        let c = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(c.shape == [m, n])
        let reference = Naive.matmul(a.scalars, b.scalars, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        #expect(maxRelativeError(c.scalars, reference, floor: 0.1) < 1e-5)
    }

    @Test func linearAddsBiasAndAccumulates() {
        var rng = SeededRandom(seed: 2)
        let (rows, inF, outF) = (5, 7, 3)
        let x = rng.tensor([rows, inF]), w = rng.tensor([outF, inF]), bias = rng.tensor([outF])
        let start = rng.tensor([rows, outF])
        var y = start
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                bias.withUnsafeBufferPointer { pb in
                    y.withUnsafeMutableBufferPointer { py in
                        BLAS.linear(
                            rows: rows, inFeatures: inF, outFeatures: outF, input: px.baseAddress!,
                            weight: pw.baseAddress!, bias: pb.baseAddress!, output: py.baseAddress!, accumulate: true)
                    }
                }
            }
        }
        let product = Naive.matmul(x.scalars, w.scalars, m: rows, n: outF, k: inF, transposeA: false, transposeB: true)
        let expected = (0..<(rows * outF)).map { start.scalars[$0] + product[$0] + bias.scalars[$0 % outF] }
        #expect(maxRelativeError(y.scalars, expected) < 1e-5)
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let c = Tensor.matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 3]))
        #expect(c == Tensor(shape: [2, 3]))
    }
}
