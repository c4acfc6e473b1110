import Foundation
import LongshotTensor
import Testing

@Suite struct ActivationTests {
    let inputs: [Float] = [-6, -3, -1.5, -0.5, -0.01, 0, 0.01, 0.5, 1.5, 3, 6]

    @Test func geluErfMatchesFormula() {
        let y = Tensor(shape: [inputs.count], scalars: inputs).gelu()
        let expected = inputs.map { Float(0.5 * Double($0) * (1 + erf(Double($0) / 2.0.squareRoot()))) }
        #expect(maxRelativeError(y.scalars, expected, floor: 1e-2) < 1e-5)
    }

    @Test func geluTanhMatchesFormula() {
        let y = Tensor(shape: [inputs.count], scalars: inputs).gelu(approximation: .tanh)
        let expected = inputs.map { x -> Float in
            let d = Double(x)
            return Float(0.5 * d * (1 + tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))))
        }
        #expect(maxRelativeError(y.scalars, expected, floor: 1e-2) < 1e-5)
    }

    @Test func siluMatchesFormula() {
        let y = Tensor(shape: [inputs.count], scalars: inputs).silu()
        let expected = inputs.map { Float(Double($0) / (1 + exp(-Double($0)))) }
        #expect(maxRelativeError(y.scalars, expected, floor: 1e-2) < 1e-5)
    }

    @Test func softmaxRowsSumToOneAndMaskedRowsAreZero() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 1001, 999, -.infinity, -.infinity, -.infinity])
        let y = x.softmax()
        let e = [exp(-1.0), 1, exp(-2.0)]
        let total = e.reduce(0, +)
        #expect(maxRelativeError(Array(y.scalars[0..<3]), e.map { Float($0 / total) }) < 1e-6)
        #expect(Array(y.scalars[3..<6]) == [0, 0, 0])
    }
}
