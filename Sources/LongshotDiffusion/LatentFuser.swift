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
    /// Per frame, how many windows cover it.
    private let coverage: [Int]

    public init(plan: WindowPlan, layout: LatentLayout) {
        self.plan = plan
        self.layout = layout
        self.weights = CrossFade.weights(for: plan)
        var totals = [Float](repeating: 0, count: plan.frames)
        for (window, w) in zip(plan.windows, weights) {
            for (i, f) in window.frames.enumerated() { totals[f] += w[i] }
        }
        self.inverseTotals = totals.map { 1 / $0 }
        var coverage = [Int](repeating: 0, count: plan.frames)
        for window in plan.windows {
            for f in window.frames { coverage[f] += 1 }
        }
        self.coverage = coverage
    }

    /// Each window's share of every frame: w_i(f) / sum_j w_j(f); the shares of a frame sum to 1.
    public func shares(window index: Int) -> [Float] {
        let window = plan.windows[index]
        return window.frames.enumerated().map { local, f in weights[index][local] * inverseTotals[f] }
    }

    /// Fuses `windows` (one per plan window, in plan order, each covering exactly its window's frames).
    public func fuse(_ windows: [[Float]]) -> [Float] {
        precondition(windows.count == plan.windows.count, "expected \(plan.windows.count) windows, got \(windows.count)")
        let pieces = plan.windows.map { w in WindowPiece(window: w.index, firstFrame: w.start, frames: w.count, data: windows[w.index]) }
        return accumulate(frames: 0..<plan.frames, pieces: pieces)
    }

    /// Fuses the frames `range` from `pieces`: every window covering a frame of the range must be present
    /// (on at least the frames it shares with the range), each window once, in plan order. The arithmetic
    /// and its order are those of ``fuse(_:)``, so a worker fusing its part of the video gets the bits the
    /// whole-video fusion gets on those frames.
    /// - Throws: ``FusionError`` when a piece is out of order, misshapen, or a covering window is missing.
    public func fuse(frames range: Range<Int>, pieces: [WindowPiece]) throws(FusionError) -> [Float] {
        let n = layout.frameSize
        var previous = -1
        var covered = [Int](repeating: 0, count: range.count)
        for piece in pieces {
            guard piece.window > previous, piece.window < plan.windows.count else {
                throw .outOfOrder(window: piece.window)
            }
            previous = piece.window
            let w = plan.windows[piece.window]
            guard piece.firstFrame >= w.start, piece.firstFrame + piece.frames <= w.end, piece.data.count == piece.frames * n else {
                throw .misshapen(window: piece.window, firstFrame: piece.firstFrame, frames: piece.frames, elements: piece.data.count)
            }
            for f in w.frames where range.contains(f) {
                guard f >= piece.firstFrame, f < piece.firstFrame + piece.frames else {
                    throw .missing(window: piece.window, frame: f)
                }
                covered[f - range.lowerBound] += 1
            }
        }
        for (local, count) in covered.enumerated() where count != coverage[range.lowerBound + local] {
            throw .missing(window: nil, frame: range.lowerBound + local)
        }
        return accumulate(frames: range, pieces: pieces)
    }

    /// sum(w_i * x_i) over the pieces in the order given, then times 1 / sum(w_i), for the frames `range`.
    private func accumulate(frames range: Range<Int>, pieces: [WindowPiece]) -> [Float] {
        let n = layout.frameSize
        var fused = [Float](repeating: 0, count: range.count * n)
        fused.withUnsafeMutableBufferPointer { out in
            for piece in pieces {
                let window = plan.windows[piece.window]
                let lo = max(piece.firstFrame, range.lowerBound)
                let hi = min(piece.firstFrame + piece.frames, range.upperBound)
                guard lo < hi else { continue }
                piece.data.withUnsafeBufferPointer { src in
                    for f in lo..<hi {
                        let w = weights[piece.window][f - window.start]
                        let base = (f - range.lowerBound) * n
                        let srcBase = (f - piece.firstFrame) * n
                        for j in 0..<n { out[base + j] += w * src[srcBase + j] }
                    }
                }
            }
            for f in range {
                let s = inverseTotals[f]
                let base = (f - range.lowerBound) * n
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

/// Latents of one window on some of its frames (absolute `firstFrame..<firstFrame+frames`), as
/// [frame][channel][y][x]: a whole window after a step, or the part of it a neighbouring group needs.
public struct WindowPiece: Sendable, Equatable {
    public var window: Int
    public var firstFrame: Int
    public var frames: Int
    public var data: [Float]

    public init(window: Int, firstFrame: Int, frames: Int, data: [Float]) {
        self.window = window
        self.firstFrame = firstFrame
        self.frames = frames
        self.data = data
    }

    public var frameRange: Range<Int> { firstFrame..<(firstFrame + frames) }
}

/// Why pieces could not be fused.
public enum FusionError: Error, Equatable, CustomStringConvertible {
    case outOfOrder(window: Int)
    case misshapen(window: Int, firstFrame: Int, frames: Int, elements: Int)
    case missing(window: Int?, frame: Int)

    public var description: String {
        switch self {
        case .outOfOrder(let w): "window \(w)'s piece is out of plan order, repeated or not in the plan"
        case .misshapen(let w, let f, let n, let e): "window \(w)'s piece (frames \(f)+\(n), \(e) elements) does not fit the window"
        case .missing(let w?, let f): "window \(w)'s piece lacks frame \(f)"
        case .missing(nil, let f): "frame \(f) lacks a window's piece"
        }
    }
}

/// The fused latent video rebuilt from its windows' slices (codenoise results, which agree on overlaps).
public enum FusedLatents {
    public static func assemble(_ windows: [[Float]], plan: WindowPlan, frameSize n: Int) -> [Float] {
        var video = [Float](repeating: 0, count: plan.frames * n)
        for (window, data) in zip(plan.windows, windows) {
            precondition(data.count == window.count * n, "window \(window.index) has \(data.count) elements")
            video.replaceSubrange((window.start * n)..<(window.end * n), with: data)
        }
        return video
    }
}
