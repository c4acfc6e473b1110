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
        let n = Float(width)
        for r in 0..<rows {
            let row = data + r * ld
            var sum: Float = 0
            for j in 0..<width { sum += row[j] }
            let mean = sum / n
            var squares: Float = 0
            for j in 0..<width {
                let d = row[j] - mean
                squares += d * d
            }
            let inv = 1 / (squares / n + epsilon).squareRoot()
            switch (gamma, beta) {
            case let (g?, b?):
                for j in 0..<width { row[j] = (row[j] - mean) * inv * g[j] + b[j] }
            case let (g?, nil):
                for j in 0..<width { row[j] = (row[j] - mean) * inv * g[j] }
            case let (nil, b?):
                for j in 0..<width { row[j] = (row[j] - mean) * inv + b[j] }
            case (nil, nil):
                for j in 0..<width { row[j] = (row[j] - mean) * inv }
            }
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
        for r in 0..<rows {
            let row = data + r * ld
            var squares: Float = 0
            for j in 0..<width { squares += row[j] * row[j] }
            let inv = 1 / (squares / Float(width) + epsilon).squareRoot()
            if let gamma {
                for j in 0..<width { row[j] *= inv * gamma[j] }
            } else {
                for j in 0..<width { row[j] *= inv }
            }
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
