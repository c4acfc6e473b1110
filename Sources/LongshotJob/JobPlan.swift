import LongshotDiffusion
import LongshotPlanning

/// A job laid out for an engine: its latent frames, its windows and each window's conditioning.
public struct JobPlan: Sendable {
    public let spec: JobSpec
    public let layout: LatentLayout
    public let windows: WindowPlan
    /// Seconds over which neighbouring shots dissolve into each other, centred on the cut.
    public static let transition: Double = 0.5

    public init(spec: JobSpec, layout: LatentLayout) throws(PlanError) {
        self.spec = spec
        self.layout = layout
        let frames = layout.latentFrames(forVideoFrames: spec.videoFrames)
        self.windows = try WindowPlan(frames: frames, window: spec.window, overlap: spec.overlap)
    }

    public var latentFrames: Int { windows.frames }

    /// Absolute time of a latent frame: the time of the first video frame it stands for.
    public func time(ofLatentFrame f: Int) -> Double {
        Double(layout.firstVideoFrame(ofLatentFrame: f)) / Double(spec.fps)
    }

    /// Weights of each shot at time `t`: 1 for the shot containing it, a smooth blend near a cut.
    public func shotWeights(at t: Double) -> [Float] {
        let shots = spec.shots
        var w = [Float](repeating: 0, count: shots.count)
        let half = Self.transition / 2
        guard let current = shots.lastIndex(where: { $0.start <= t }) ?? shots.indices.first else { return w }
        w[current] = 1
        // Blend with the next shot when within half a transition before its start, or with the previous
        // shot when within half a transition after this one's start.
        if current + 1 < shots.count, shots[current + 1].start - t < half {
            let a = Float(smoothstep((t - (shots[current + 1].start - half)) / Self.transition))
            w[current] = 1 - a
            w[current + 1] = a
        } else if current > 0, t - shots[current].start < half {
            let a = Float(smoothstep((t - (shots[current].start - half)) / Self.transition))
            w[current - 1] = 1 - a
            w[current] = a
        }
        return w
    }

    /// What window `index` is conditioned on.
    public func conditioning(window index: Int) -> WindowConditioning {
        let window = windows.windows[index]
        let times = window.frames.map { time(ofLatentFrame: $0) }
        return WindowConditioning(shots: spec.shots, shotWeights: times.map(shotWeights(at:)), times: times)
    }

    /// The request an engine prepares window `index` from.
    public func request(window index: Int) -> WindowRequest {
        let window = windows.windows[index]
        return WindowRequest(
            firstFrame: window.start, frames: window.count, layout: layout, conditioning: conditioning(window: index),
            seed: spec.seed, fps: Double(spec.fps), guidance: spec.guidance, negativePrompt: spec.negativePrompt)
    }

    /// Video frame ranges where windows overlap (for seam measurement).
    public var seamVideoFrames: [Range<Int>] {
        (0..<(windows.windows.count - 1)).map { i in
            let overlap = windows.overlap(after: i)
            let lo = layout.firstVideoFrame(ofLatentFrame: overlap.lowerBound)
            guard !overlap.isEmpty else { return lo..<lo }  // windows that only touch (--overlap 0)
            let hi = min(layout.firstVideoFrame(ofLatentFrame: overlap.upperBound - 1) + 1, spec.videoFrames)
            return lo..<hi
        }
    }

    /// Video frame ranges of the dissolves between shots.
    public var transitionVideoFrames: [Range<Int>] {
        spec.shots.dropFirst().map { shot in
            let lo = Int(((shot.start - Self.transition / 2) * Double(spec.fps)).rounded(.down))
            let hi = Int(((shot.start + Self.transition / 2) * Double(spec.fps)).rounded(.up)) + 1
            return max(lo, 0)..<min(hi, spec.videoFrames)
        }
    }
}

func smoothstep(_ x: Double) -> Double {
    let c = min(max(x, 0), 1)
    return c * c * (3 - 2 * c)
}
