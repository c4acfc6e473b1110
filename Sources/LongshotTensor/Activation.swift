#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLongshotKernels

/// Element-wise activations and the row-wise softmax, in place over contiguous buffers.
public enum Activation {
    /// The two GELU formulas in use.
    public enum GELUApproximation: Sendable {
        /// The exact `x · Φ(x) = 0.5 x (1 + erf(x / √2))`: BERT's `gelu`, PyTorch's default.
        case none
        /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`: PyTorch's `approximate="tanh"`.
        case tanh
    }

    /// GELU of `count` scalars in place (the tanh form spread over ``ComputeThreads``, inline inside a task).
    public static func gelu(_ data: UnsafeMutablePointer<Float>, count: Int, approximation: GELUApproximation = .none) {
        switch approximation {
        case .none:
            let invSqrt2: Float = 0.707_106_781_186_547_6
            for i in 0..<count {
                let x = data[i]
                data[i] = 0.5 * x * (1 + erff(x * invSqrt2))
            }
        case .tanh:
            // 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)): the same value without cancellation in the tail.
            ParallelRows.forEach(count, minimumChunk: 16_384) { range in
                lk_gelu_tanh(data + range.lowerBound, range.count)
            }
        }
    }

    /// SiLU (swish) of `count` scalars in place: `x · sigmoid(x)`.
    public static func silu(_ data: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let x = data[i]
            data[i] = x / (1 + expf(-x))
        }
    }

    /// Softmax of each row in place, stable (the row maximum is subtracted first).
    /// - Parameters: data: `rows x width` with row stride `stride` (defaults to `width`).
    public static func softmax(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil) {
        let ld = stride ?? width
        for r in 0..<rows {
            let row = data + r * ld
            var maximum = -Float.infinity
            for j in 0..<width { maximum = max(maximum, row[j]) }
            if maximum == -.infinity {  // every entry masked: define the row as zeros
                for j in 0..<width { row[j] = 0 }
                continue
            }
            var sum: Float = 0
            for j in 0..<width {
                let e = expf(row[j] - maximum)
                row[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0..<width { row[j] *= inv }
        }
    }
}

extension Tensor {
    /// GELU of every scalar.
    public func gelu(approximation: Activation.GELUApproximation = .none) -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { Activation.gelu(base, count: p.count, approximation: approximation) }
        }
        return out
    }

    /// SiLU of every scalar.
    public func silu() -> Tensor {
        var out = self
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { Activation.silu(base, count: p.count) }
        }
        return out
    }

    /// Softmax over the last dimension.
    public func softmax() -> Tensor {
        var out = self
        let width = shape.last ?? 1
        out.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress, width > 0 { Activation.softmax(base, rows: p.count / width, width: width) }
        }
        return out
    }
}
