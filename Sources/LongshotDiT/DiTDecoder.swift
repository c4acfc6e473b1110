import LongshotTensor

/// The latent-to-RGB decoder that ships with a DiT: a linear map from each latent pixel's channels to a
/// `temporalFactor x spatialFactor x spatialFactor` block of RGB values in [-1, 1] (the twin's `decode`),
/// mapped to bytes by `round(clamp((v + 1) * 127.5, 0, 255))`.
public struct DiTDecoder: Sendable {
    /// `(tf * sf * sf * 3) x channels`, rows ordered dt, dy, dx, rgb.
    let weight: Tensor
    let bias: Tensor
    public let channels: Int, temporalFactor: Int, spatialFactor: Int

    /// Loads `decoder.weight` and `decoder.bias`, checking their shapes against `configuration`.
    public init(configuration c: DiTConfiguration, weights file: SafetensorsFile) throws {
        let rows = c.temporalFactor * c.spatialFactor * c.spatialFactor * 3
        weight = try file.tensor("decoder.weight", shape: [rows, c.inChannels])
        bias = try file.tensor("decoder.bias", shape: [rows])
        channels = c.inChannels
        temporalFactor = c.temporalFactor
        spatialFactor = c.spatialFactor
    }

    /// The RGB values of sub-frame `sub` (0 ..< temporalFactor) of one latent frame, cropped to
    /// `width x height`: `height x width x 3` floats in [-1, 1] before clamping.
    ///
    /// - Parameter frame: `channels x latentHeight x latentWidth` scalars.
    public func decode(
        frame: UnsafePointer<Float>, latentHeight: Int, latentWidth: Int, sub: Int, width: Int, height: Int
    ) -> [Float] {
        let sf = spatialFactor, block = sf * sf * 3, pixels = latentHeight * latentWidth
        var blocks = [Float](repeating: 0, count: pixels * block)
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                blocks.withUnsafeMutableBufferPointer { out in
                    // out[pixel] = frame[:, pixel]ᵀ · W_subᵀ + b_sub, for every latent pixel at once.
                    for p in 0..<pixels { (out.baseAddress! + p * block).update(from: b.baseAddress! + sub * block, count: block) }
                    BLAS.gemm(
                        transposeA: true, transposeB: true, m: pixels, n: block, k: channels, a: frame, lda: pixels,
                        b: w.baseAddress! + sub * block * channels, ldb: channels, beta: 1, c: out.baseAddress!, ldc: block)
                }
            }
        }
        var rgb = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let ly = min(y / sf, latentHeight - 1), dy = y % sf
            for x in 0..<width {
                let lx = min(x / sf, latentWidth - 1), dx = x % sf
                let source = (ly * latentWidth + lx) * block + (dy * sf + dx) * 3
                for c in 0..<3 { rgb[(y * width + x) * 3 + c] = blocks[source + c] }
            }
        }
        return rgb
    }
}
