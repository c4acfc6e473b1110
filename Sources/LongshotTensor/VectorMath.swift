/// Fast transcendental functions for the hot loops (softmax, GELU), written as branch-free scalar code that
/// LLVM vectorises inside the plain loops that call it (no libm calls). Accuracy: `exp` within 2e-7
/// relative on [-87.3, 88], `tanh` within 3e-7 absolute.
public enum VectorMath {
    /// `e^x`; inputs are clamped to [-87.3, 88] first, so `-infinity` gives about 1e-38 (negligible beside
    /// any unmasked softmax term) and large inputs stay finite.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.3), 88.0)
        // k = round(x / ln2) by the magic-number trick: adding 1.5 * 2^23 rounds to an integer whose bits sit
        // in the low mantissa, so the exponent is built with integer adds and no float-to-int conversion.
        let magic: Float = 12_582_912
        let shifted = clamped * 1.442_695_040_888_963_4 + magic
        let k = shifted - magic
        // r = x - k ln2, with ln2 split in two for accuracy; |r| <= ln2 / 2.
        let r = clamped - k * 0.693_145_751_953_125 - k * 1.428_606_765_330_187_0e-6
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let exponent = (shifted.bitPattern &- magic.bitPattern &+ 127) &<< 23
        return p * Float(bitPattern: exponent)
    }

    /// `tanh(x)` as `1 - 2 / (e^{2x} + 1)` (saturates to ±1).
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        1 - 2 / (exp(2 * x) + 1)
    }

    /// `data[i] = e^(data[i] - shift)` for `count` scalars; returns their sum.
    @inlinable
    public static func exponentiate(_ data: UnsafeMutablePointer<Float>, count: Int, subtracting shift: Float) -> Float {
        for i in 0..<count { data[i] = exp(data[i] - shift) }
        return sum(data, count: count)
    }

    /// The sum of `count` scalars, accumulated in eight lanes.
    @inlinable
    public static func sum(_ data: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            lanes += UnsafeRawPointer(data + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = lanes.sum()
        while i < count {
            total += data[i]
            i += 1
        }
        return total
    }

    /// The largest of `count` scalars (-infinity for none), in four independent running maxima.
    @inlinable
    public static func maximum(_ data: UnsafePointer<Float>, count: Int) -> Float {
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
        var i = 0
        while i + 4 <= count {
            m0 = Swift.max(m0, data[i])
            m1 = Swift.max(m1, data[i + 1])
            m2 = Swift.max(m2, data[i + 2])
            m3 = Swift.max(m3, data[i + 3])
            i += 4
        }
        while i < count {
            m0 = Swift.max(m0, data[i])
            i += 1
        }
        return Swift.max(Swift.max(m0, m1), Swift.max(m2, m3))
    }
}
