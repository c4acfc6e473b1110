/// The rectified-flow time grid: `steps` Euler steps from t = 1 (pure noise) to t = 0 (data), with the
/// timestep shift of SD3 / Wan (`shift > 1` spends more steps at high noise).
///
/// Convention: x_t = (1 - t) x_0 + t * noise, velocity v = noise - x_0, so x_{t'} = x_t + (t' - t) v.
public struct FlowSchedule: Sendable, Hashable {
    public let steps: Int
    public let shift: Double
    /// `steps + 1` times, decreasing from 1 to 0.
    public let times: [Float]

    public init(steps: Int, shift: Double = 3.0) {
        precondition(steps > 0, "a schedule needs at least one step")
        precondition(shift > 0, "the timestep shift must be positive")
        self.steps = steps
        self.shift = shift
        self.times = (0...steps).map { i in
            let t = 1 - Double(i) / Double(steps)
            return Float(shift * t / (1 + (shift - 1) * t))
        }
    }

    /// The time at which step `i` evaluates the model.
    public func time(ofStep i: Int) -> Float { times[i] }
    /// The signed step size of step `i` (negative: time runs towards 0).
    public func delta(ofStep i: Int) -> Float { times[i + 1] - times[i] }
}
