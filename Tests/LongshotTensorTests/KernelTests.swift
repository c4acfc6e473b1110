import CLongshotKernels
import Foundation
import LongshotTensor
import Testing

/// Every instruction-set version of the C kernels (the baseline one, and AVX2 + FMA where this CPU has it)
/// against double-precision references, on lengths that exercise the 8-lane bodies and their tails.
@Suite struct KernelTests {
    static var tables: [lk_kernel_table] {
        [lk_kernels_generic().pointee] + (lk_kernels_avx2().map { [$0.pointee] } ?? [])
    }

    @Test func theSelectedTableIsTheBestThisCPUHas() {
        let selected = String(cString: lk_kernels().pointee.isa)
        #expect(selected == (lk_kernels_avx2() == nil ? "generic" : "avx2"))
    }

    @Test func onlineSoftmaxMatchesAnExactSoftmaxOverTwoKeyBlocks() {
        var rng = SeededRandom(seed: 21)
        for table in Self.tables {
            for keys in [1, 7, 8, 13, 64, 203] {
                let rows = 3, headDim = 5, half = (keys + 1) / 2
                let scores = (0..<rows * keys).map { _ in rng.scalar() * 6 }
                // Mask the second key (where there is one) and, in row 2, every key of the first block.
                var bias = [Float](repeating: 0, count: keys)
                if keys > 1 { bias[1] = -.infinity }
                let values = (0..<keys * headDim).map { _ in rng.scalar() }
                var rowMax = [Float](repeating: -.infinity, count: rows), rowSum = [Float](repeating: 0, count: rows)
                var output = [Float](repeating: 0, count: rows * headDim)
                // Two blocks as attention runs them: probabilities times values, accumulated after rescaling.
                for (start, count) in [(0, half), (half, keys - half)] where count > 0 {
                    var block = [Float](repeating: 0, count: rows * count)
                    for r in 0..<rows {
                        for j in 0..<count {
                            block[r * count + j] = r == 2 && start == 0 ? -.infinity : scores[r * keys + start + j]
                        }
                    }
                    bias.withUnsafeBufferPointer { b in
                        output.withUnsafeMutableBufferPointer { o in
                            table.online_softmax(
                                &block, count, rows, count, b.baseAddress! + start, &rowMax, &rowSum,
                                start == 0 ? nil : o.baseAddress, headDim, headDim)
                        }
                    }
                    for r in 0..<rows {
                        for d in 0..<headDim {
                            for j in 0..<count { output[r * headDim + d] += block[r * count + j] * values[(start + j) * headDim + d] }
                        }
                    }
                }
                for r in 0..<rows {
                    let live = (0..<keys).filter { $0 != 1 && !(r == 2 && $0 < half) }
                    let top = live.map { Double(scores[r * keys + $0]) }.max()
                    let weights = live.map { Foundation.exp(Double(scores[r * keys + $0]) - (top ?? 0)) }
                    let total = weights.reduce(0, +)
                    for d in 0..<headDim {
                        let exact = total == 0 ? 0 : zip(live, weights).reduce(0) { $0 + $1.1 * Double(values[$1.0 * headDim + d]) } / total
                        let got = rowSum[r] > 0 ? Double(output[r * headDim + d] / rowSum[r]) : 0
                        #expect(abs(got - exact) < 2e-6, "\(String(cString: table.isa)) keys \(keys) row \(r)")
                    }
                }
            }
        }
    }

    @Test func geluTanhMatchesTheFormula() {
        var rng = SeededRandom(seed: 22)
        for table in Self.tables {
            for count in [0, 1, 7, 8, 9, 100] {
                var x = (0..<count).map { _ in rng.scalar() * 10 }
                if count == 100 { x[0] = -100; x[1] = 100; x[2] = 0 }
                var y = x
                table.gelu_tanh(&y, count)
                for (a, b) in zip(x, y) {
                    let u = 0.797_884_560_802_865_4 * (Double(a) + 0.044715 * Double(a) * Double(a) * Double(a))
                    let exact = 0.5 * Double(a) * (1 + Foundation.tanh(u))
                    #expect(abs(Double(b) - exact) < 1e-6 * max(1, abs(exact)), "\(String(cString: table.isa)) x \(a)")
                }
            }
        }
    }

    @Test func normsMatchDoublePrecision() {
        var rng = SeededRandom(seed: 23)
        for table in Self.tables {
            for width in [1, 5, 8, 13, 256] {
                let rows = 3, stride = width + 3, eps: Float = 1e-6
                let x = (0..<rows * stride).map { _ in rng.scalar() * 4 + 1 }
                let gamma = (0..<width).map { _ in rng.scalar() }, beta = (0..<width).map { _ in rng.scalar() }
                var layer = x, rms = x, modulated = [Float](repeating: 0, count: rows * width)
                let packed = (0..<rows).flatMap { r in x[r * stride ..< r * stride + width] }
                table.layer_norm(&layer, rows, width, stride, gamma, beta, eps)
                table.rms_norm(&rms, rows, width, stride, gamma, eps)
                table.layer_norm_modulate(packed, &modulated, rows, width, beta, gamma, eps)
                for r in 0..<rows {
                    let row = (0..<width).map { Double(x[r * stride + $0]) }
                    let mean = row.reduce(0, +) / Double(width)
                    let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
                    let meanSquare = row.map { $0 * $0 }.reduce(0, +) / Double(width)
                    for j in 0..<width {
                        let normed = (row[j] - mean) / (variance + Double(eps)).squareRoot()
                        let name = "\(String(cString: table.isa)) width \(width)"
                        #expect(abs(Double(layer[r * stride + j]) - (normed * Double(gamma[j]) + Double(beta[j]))) < 2e-5, "\(name)")
                        #expect(abs(Double(rms[r * stride + j]) - row[j] / (meanSquare + Double(eps)).squareRoot() * Double(gamma[j])) < 2e-5, "\(name)")
                        #expect(abs(Double(modulated[r * width + j]) - (normed * (1 + Double(gamma[j])) + Double(beta[j]))) < 2e-5, "\(name)")
                    }
                    // The padding between rows is left alone.
                    if r < rows - 1 { #expect(layer[r * stride + width] == x[r * stride + width]) }
                }
            }
        }
    }
}
