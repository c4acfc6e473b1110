import LongshotPlanning

/// Fuses per-window latents into one latent video: fused = sum(w_i * x_i) / sum(w_i) per frame, with the
/// cross-fade weights of the plan. Windows are accumulated in plan order, so the result is bit-identical
/// however the windows were computed.
public struct LatentFuser: Sendable {
    public let plan: WindowPlan
    public let layout: LatentLayout
    public let weights: [[Float]]
    /// Per frame, 1 / sum of the weights of the windows covering it.
    private let inverseTotals: [Float]

    public init(plan: WindowPlan, layout: LatentLayout) {
        self.plan = plan
        self.layout = layout
        self.weights = CrossFade.weights(for: plan)
        var totals = [Float](repeating: 0, count: plan.frames)
        for (window, w) in zip(plan.windows, weights) {
            for (i, f) in window.frames.enumerated() { totals[f] += w[i] }
        }
        self.inverseTotals = totals.map { 1 / $0 }
    }

    /// Each window's share of every frame: w_i(f) / sum_j w_j(f); the shares of a frame sum to 1.
    public func shares(window index: Int) -> [Float] {
        let window = plan.windows[index]
        return window.frames.enumerated().map { local, f in weights[index][local] * inverseTotals[f] }
    }

    /// Fuses `windows` (one per plan window, in plan order, each covering exactly its window's frames).
    public func fuse(_ windows: [[Float]]) -> [Float] {
        precondition(windows.count == plan.windows.count, "expected \(plan.windows.count) windows, got \(windows.count)")
        let n = layout.frameSize
        var fused = [Float](repeating: 0, count: plan.frames * n)
        fused.withUnsafeMutableBufferPointer { out in
            for (index, window) in plan.windows.enumerated() {
                let data = windows[index]
                precondition(data.count == window.count * n, "window \(index) has \(data.count) elements, expected \(window.count * n)")
                data.withUnsafeBufferPointer { src in
                    for local in 0..<window.count {
                        let w = weights[index][local]
                        let base = (window.start + local) * n
                        let srcBase = local * n
                        for j in 0..<n { out[base + j] += w * src[srcBase + j] }
                    }
                }
            }
            for f in 0..<plan.frames {
                let s = inverseTotals[f]
                let base = f * n
                for j in 0..<n { out[base + j] *= s }
            }
        }
        return fused
    }

    /// The frames of window `index` copied out of a fused latent video.
    public func slice(_ fused: [Float], window index: Int) -> [Float] {
        let n = layout.frameSize
        let w = plan.windows[index]
        return Array(fused[(w.start * n)..<(w.end * n)])
    }
}
