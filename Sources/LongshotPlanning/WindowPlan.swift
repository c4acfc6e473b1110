/// One window of a plan: the latent frames `start..<end`.
public struct Window: Sendable, Hashable, Codable {
    public var index: Int
    public var start: Int
    public var end: Int
    public var count: Int { end - start }
    public var frames: Range<Int> { start..<end }

    public init(index: Int, start: Int, end: Int) {
        self.index = index
        self.start = start
        self.end = end
    }
}

/// Why a plan was refused; `description` names the offending values.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case nonPositiveFrames(Int)
    case nonPositiveWindow(Int)
    case negativeOverlap(Int)
    case overlapNotBelowWindow(overlap: Int, window: Int)

    public var description: String {
        switch self {
        case .nonPositiveFrames(let f): "the job has \(f) latent frames; it needs at least 1"
        case .nonPositiveWindow(let w): "window length \(w) must be at least 1 latent frame"
        case .negativeOverlap(let o): "overlap \(o) must not be negative"
        case .overlapNotBelowWindow(let o, let w): "overlap \(o) must be smaller than the window length \(w)"
        }
    }
}

/// Overlapping windows that cover the latent frames `[0, frames)` exactly.
///
/// The plan uses the fewest windows of length `window` whose neighbours overlap by at least `overlap`, and
/// spreads the starts evenly, so the first window starts at 0 and the last ends exactly at `frames`. A job
/// shorter than one window is a single window of the job's length.
public struct WindowPlan: Sendable, Hashable, Codable {
    public let frames: Int
    public let windowLength: Int
    public let minimumOverlap: Int
    public let windows: [Window]

    public init(frames: Int, window: Int, overlap: Int) throws(PlanError) {
        guard frames > 0 else { throw .nonPositiveFrames(frames) }
        guard window > 0 else { throw .nonPositiveWindow(window) }
        guard overlap >= 0 else { throw .negativeOverlap(overlap) }
        guard overlap < window else { throw .overlapNotBelowWindow(overlap: overlap, window: window) }
        self.frames = frames
        self.windowLength = window
        self.minimumOverlap = overlap
        guard frames > window else {
            windows = [Window(index: 0, start: 0, end: frames)]
            return
        }
        // n windows of length W with stride <= W - O cover F frames when (n - 1)(W - O) + W >= F.
        let stride = window - overlap
        let count = (frames - window + stride - 1) / stride + 1
        let span = frames - window
        windows = (0..<count).map { i in
            // Evenly spread starts, rounded down: consecutive starts differ by at most ceil(span / (n - 1)) <= stride.
            let start = count == 1 ? 0 : (i * span) / (count - 1)
            return Window(index: i, start: start, end: start + window)
        }
    }

    /// The frames that window `i` shares with window `i + 1`.
    public func overlap(after i: Int) -> Range<Int> {
        guard i + 1 < windows.count else { return windows[i].end..<windows[i].end }
        return windows[i + 1].start..<windows[i].end
    }

    /// The windows that contain latent frame `f`.
    public func windows(containing f: Int) -> [Window] {
        windows.filter { $0.frames.contains(f) }
    }

    /// The latent frames of a group of windows: from its first window's start to its last window's end.
    public func frames(ofGroup group: Range<Int>) -> Range<Int> {
        windows[group.lowerBound].start..<windows[group.upperBound - 1].end
    }

    /// Windows outside `group` that overlap its frames: whose pieces the group needs after every step.
    public func neighbours(ofGroup group: Range<Int>) -> [Int] {
        let frames = frames(ofGroup: group)
        return windows.filter { !group.contains($0.index) && $0.start < frames.upperBound && $0.end > frames.lowerBound }
            .map(\.index)
    }

    /// Window `index`'s frames that some window outside `group` also covers (nil when none): what the group
    /// sends its neighbours of that window after a step. Contiguous, since windows are.
    public func boundary(ofWindow index: Int, inGroup group: Range<Int>) -> Range<Int>? {
        let shared = windows[index].frames.filter { f in
            windows.contains { !group.contains($0.index) && $0.frames.contains(f) }
        }
        guard let lo = shared.first, let hi = shared.last else { return nil }
        return lo..<(hi + 1)
    }
}
