import Foundation

/// The sinusoidal embedding of a flow time: `[cos(1000 t f_i), sin(1000 t f_i)]`,
/// `f_i = 10000^(-i / (dim/2))`, computed in Double and rounded to Float (as the twin does in float64).
public enum TimestepEmbedding {
    /// `dim` scalars (even) for flow time `t` in [0, 1].
    public static func sinusoidal(_ t: Float, dim: Int) -> [Float] {
        let half = dim / 2
        var out = [Float](repeating: 0, count: dim)
        for i in 0..<half {
            let frequency = exp(-log(10_000.0) * Double(i) / Double(half))
            let angle = 1000.0 * Double(t) * frequency
            out[i] = Float(cos(angle))
            out[half + i] = Float(sin(angle))
        }
        return out
    }
}
