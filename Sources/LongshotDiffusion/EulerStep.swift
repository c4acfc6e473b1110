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
/// `progress` sees each finished step and may throw to stop early; `tap` gets the predictions it asks for.
public func sampleWindow(
    _ model: any WindowModel, initial: [Float], schedule: FlowSchedule, tap: PredictionTap? = nil,
    progress: (_ step: Int) throws -> Void = { _ in }
) throws -> [Float] {
    var x = initial
    for step in 0..<schedule.steps {
        let v = try model.velocity(x, t: schedule.time(ofStep: step))
        let before = tap?.wants(step + 1) == true ? x : nil
        eulerStep(&x, velocity: v, dt: schedule.delta(ofStep: step))
        if let before, let tap { tap.take(step + 1, schedule.prediction(before: before, after: x, step: step)) }
        try progress(step + 1)
    }
    return x
}
