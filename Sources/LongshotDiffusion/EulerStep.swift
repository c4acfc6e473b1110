/// One Euler step of the flow ODE, in place: x += dt * v.
@inline(__always)
public func eulerStep(_ x: inout [Float], velocity v: [Float], dt: Float) {
    precondition(x.count == v.count, "velocity has \(v.count) elements, latents \(x.count)")
    x.withUnsafeMutableBufferPointer { xb in
        v.withUnsafeBufferPointer { vb in
            for i in 0..<xb.count { xb[i] += dt * vb[i] }
        }
    }
}

/// Runs every step of `schedule` on one window alone: the `independent` fusion mode's unit of work.
/// `progress` sees each finished step and may throw to stop early.
public func sampleWindow(
    _ model: any WindowModel, initial: [Float], schedule: FlowSchedule,
    progress: (_ step: Int) throws -> Void = { _ in }
) throws -> [Float] {
    var x = initial
    for step in 0..<schedule.steps {
        let v = try model.velocity(x, t: schedule.time(ofStep: step))
        eulerStep(&x, velocity: v, dt: schedule.delta(ofStep: step))
        try progress(step + 1)
    }
    return x
}
