import Foundation

/// Fusion weights: per frame of a window, 1 inside, a raised-cosine ramp across each overlap with a
/// neighbour, and a small epsilon at the window's outer edges, so every frame's weights sum to a positive
/// number and fused = sum(w_i * x_i) / sum(w_i) is always defined.
public enum CrossFade {
    /// The smallest weight a window gives any of its frames.
    public static let epsilon: Float = 1e-3

    /// Weights for each frame of window `index` in `plan`.
    public static func weights(for index: Int, in plan: WindowPlan) -> [Float] {
        let window = plan.windows[index]
        let left = index > 0 ? plan.windows[index - 1].end - window.start : 0
        let right = index + 1 < plan.windows.count ? window.end - plan.windows[index + 1].start : 0
        return (0..<window.count).map { local in
            var w: Float = 1
            if local < left { w = min(w, ramp(position: local, length: left)) }
            let fromEnd = window.count - 1 - local
            if fromEnd < right { w = min(w, ramp(position: fromEnd, length: right)) }
            return w
        }
    }

    /// Weights for every window of the plan, indexed like `plan.windows`.
    public static func weights(for plan: WindowPlan) -> [[Float]] {
        plan.windows.indices.map { weights(for: $0, in: plan) }
    }

    /// Raised cosine from epsilon (the outermost frame) towards 1 over `length` frames.
    static func ramp(position: Int, length: Int) -> Float {
        let phase = (Double(position) + 0.5) / Double(length)
        let raised = 0.5 * (1 - cos(Double.pi * phase))
        return epsilon + (1 - epsilon) * Float(raised)
    }
}
