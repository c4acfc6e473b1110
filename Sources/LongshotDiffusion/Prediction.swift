extension FlowSchedule {
    /// The clean-video prediction x0 after step `step` (0-based) took latents from `before` to `after`.
    ///
    /// A step moves x by dt v, so v = (after - before) / dt and, from x_t = (1 - t) x0 + t noise with
    /// v = noise - x0, x0 = after - t' v at the step's end time t'. For a fused codenoise step, v is the
    /// fused velocity. Previews decode it: it shows what the video is becoming long before t reaches 0.
    public func prediction(before: [Float], after: [Float], step: Int) -> [Float] {
        precondition(before.count == after.count, "latents before and after a step differ in size")
        let dt = delta(ofStep: step)
        let end = times[step + 1]
        guard dt != 0 else { return after }
        let k = end / dt
        var out = after
        for i in out.indices { out[i] -= k * (after[i] - before[i]) }
        return out
    }
}

/// Watches a sampler's steps for previews: asked after each step whether it wants this one, and then
/// given the clean-video prediction. Costs nothing on the steps it declines.
public struct PredictionTap: Sendable {
    public let wants: @Sendable (_ step: Int) -> Bool
    public let take: @Sendable (_ step: Int, _ prediction: [Float]) -> Void

    public init(wants: @escaping @Sendable (_ step: Int) -> Bool, take: @escaping @Sendable (_ step: Int, _ prediction: [Float]) -> Void) {
        self.wants = wants
        self.take = take
    }
}
