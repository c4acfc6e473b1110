import Foundation
import LongshotTensor
import Testing

@Suite struct NormalizationTests {
    @Test func layerNormMatchesNaive() {
        var rng = SeededRandom(seed: 3)
        let (rows, width) = (6, 50)
        let x = rng.tensor([rows, width], scale: 3), gamma = rng.tensor([width]), beta = rng.tensor([width])
        let y = x.layerNormalized(gamma: gamma, beta: beta, epsilon: 1e-12)
        var expected = [Float]()
        for r in 0..<rows {
            let row = x.scalars[(r * width)..<((r + 1) * width)].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for j in 0..<width {
                expected.append(Float((row[j] - mean) / (variance + 1e-12).squareRoot() * Double(gamma.scalars[j]) + Double(beta.scalars[j])))
            }
        }
        #expect(maxRelativeError(y.scalars, expected) < 1e-4)
    }

    @Test func rmsNormMatchesNaive() {
        var rng = SeededRandom(seed: 4)
        let (rows, width) = (4, 33)
        let x = rng.tensor([rows, width], scale: 2), gamma = rng.tensor([width])
        let y = x.rmsNormalized(gamma: gamma, epsilon: 1e-6)
        var expected = [Float]()
        for r in 0..<rows {
            let row = x.scalars[(r * width)..<((r + 1) * width)].map(Double.init)
            let rms = (row.map { $0 * $0 }.reduce(0, +) / Double(width) + 1e-6).squareRoot()
            for j in 0..<width { expected.append(Float(row[j] / rms * Double(gamma.scalars[j]))) }
        }
        #expect(maxRelativeError(y.scalars, expected) < 1e-5)
    }

    @Test func affineFreeLayerNormHasZeroMeanUnitVariance() {
        var rng = SeededRandom(seed: 5)
        let y = rng.tensor([1, 64], scale: 10).layerNormalized(gamma: nil, beta: nil, epsilon: 0)
        let mean = y.scalars.reduce(0, +) / 64
        let variance = y.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 64
        #expect(abs(mean) < 1e-5)
        #expect(abs(variance - 1) < 1e-4)
    }
}
