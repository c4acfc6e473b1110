import CLongshotKernels

/// Row-wise normalisations over the last dimension, in place.
public enum Normalization {
    /// Layer normalisation of each row: `(x - mean) / sqrt(var + epsilon) * gamma + beta`
    /// (biased variance, as PyTorch's `nn.LayerNorm`).
    ///
    /// - Parameters:
    ///   - data: `rows x width` scalars with row stride `stride` (defaults to `width`), normalised in place.
    ///   - gamma, beta: `width` scalars each, or `nil` for 1 and 0 (an affine-free norm).
    public static func layerNorm(
        _ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil,
        gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, epsilon: Float
    ) {
        let ld = stride ?? width
        ParallelRows.forEach(rows, minimumChunk: 32) { range in
            lk_layer_norm(data + range.lowerBound * ld, range.count, width, ld, gamma, beta, epsilon)
        }
    }

    /// RMS normalisation of each row: `x / sqrt(mean(x²) + epsilon) * gamma`.
    ///
    /// - Parameters:
    ///   - data: `rows x width` scalars with row stride `stride` (defaults to `width`), normalised in place.
    ///   - gamma: `width` scalars, or `nil` for 1.
    public static func rmsNorm(
        _ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil,
        gamma: UnsafePointer<Float>?, epsilon: Float
    ) {
        let ld = stride ?? width
        ParallelRows.forEach(rows, minimumChunk: 32) { range in
            lk_rms_norm(data + range.lowerBound * ld, range.count, width, ld, gamma, epsilon)
        }
    }

    /// Affine-free layer norm followed by AdaLN modulation: `out[r] = LN(x[r]) ⊙ (1 + scale) + shift`.
    ///
    /// - Parameters:
    ///   - input, output: `rows x width` scalars, row stride `width`; they may not overlap.
    ///   - shift, scale: `width` scalars each.
    public static func layerNormModulate(
        _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>, epsilon: Float
    ) {
        ParallelRows.forEach(rows, minimumChunk: 32) { range in
            let offset = range.lowerBound * width
            lk_layer_norm_modulate(input + offset, output + offset, range.count, width, shift, scale, epsilon)
        }
    }
}

extension Tensor {
    /// Layer normalisation over the last dimension.
    /// - Parameters: gamma, beta: tensors of the last dimension's size, or `nil`.
    public func layerNormalized(gamma: Tensor?, beta: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        let width = shape.last ?? 1
        precondition(gamma.map { $0.count == width } ?? true, "layerNorm: gamma has \(gamma!.count) scalars, width is \(width)")
        precondition(beta.map { $0.count == width } ?? true, "layerNorm: beta has \(beta!.count) scalars, width is \(width)")
        var out = self
        guard count > 0 else { return out }
        out.withUnsafeMutableBufferPointer { p in
            withOptionalPointer(gamma) { g in
                withOptionalPointer(beta) { b in
                    Normalization.layerNorm(
                        p.baseAddress!, rows: count / width, width: width, gamma: g, beta: b, epsilon: epsilon)
                }
            }
        }
        return out
    }

    /// RMS normalisation over the last dimension.
    /// - Parameter gamma: a tensor of the last dimension's size, or `nil`.
    public func rmsNormalized(gamma: Tensor?, epsilon: Float = 1e-6) -> Tensor {
        let width = shape.last ?? 1
        precondition(gamma.map { $0.count == width } ?? true, "rmsNorm: gamma has \(gamma!.count) scalars, width is \(width)")
        var out = self
        guard count > 0 else { return out }
        out.withUnsafeMutableBufferPointer { p in
            withOptionalPointer(gamma) { g in
                Normalization.rmsNorm(p.baseAddress!, rows: count / width, width: width, gamma: g, epsilon: epsilon)
            }
        }
        return out
    }
}

/// Calls `body` with the tensor's scalars, or with `nil` when there is no tensor.
@usableFromInline
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let tensor else { return try body(nil) }
    return try tensor.withUnsafeBufferPointer { try body($0.baseAddress) }
}
