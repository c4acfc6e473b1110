/// Uniform draws keyed by (seed, purpose, index): used for the scene variants' positions, phases and
/// velocities, so that every window of a job, on any machine, sees the same variants.
public struct CounterRandom: Sendable {
    private let philox: Philox4x32
    private let domain: UInt32

    public init(seed: UInt64, domain: UInt32) {
        self.philox = Philox4x32(seed: seed)
        self.domain = domain
    }

    /// A uniform Double in [0, 1) for the coordinates (a, b, c).
    public func uniform(_ a: Int, _ b: Int = 0, _ c: Int = 0) -> Double {
        let (w0, w1, _, _) = philox.block(
            domain, UInt32(truncatingIfNeeded: a), UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: c))
        let bits = (UInt64(w0) << 21) ^ UInt64(w1)  // 53 bits are enough
        return Double(bits & ((1 << 53) - 1)) / Double(1 << 53)
    }

    /// A uniform Double in [lo, hi).
    public func uniform(in range: ClosedRange<Double>, _ a: Int, _ b: Int = 0, _ c: Int = 0) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform(a, b, c)
    }
}
