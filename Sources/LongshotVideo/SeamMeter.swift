/// Measures seams: the mean absolute luma difference between consecutive frames inside the windows'
/// overlap regions, against the same difference elsewhere. A ratio near 1 means the seams are invisible;
/// a window that settled on different content than its neighbour shows as a ratio well above 1.
public struct SeamMeter: Sendable {
    /// Video frame ranges where windows overlap.
    public var seams: [Range<Int>]
    /// Frames at which a storyboard cuts between shots: pairs ending there are left out of both means.
    public var cuts: [Range<Int>]

    public init(seams: [Range<Int>], cuts: [Range<Int>] = []) {
        self.seams = seams
        self.cuts = cuts
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var frames: Int
        public var seamMean: Double
        public var elsewhereMean: Double
        /// seamMean / elsewhereMean.
        public var ratio: Double
        /// The largest ratio of a single seam's mean to the mean elsewhere.
        public var worstSeamRatio: Double
        public var worstSeam: Range<Int>?
        /// The largest single frame-to-frame step inside a seam, over the largest step outside seams. A step
        /// is the share of pixels that changed visibly (``changedFraction(_:_:)``): a cross-fade between windows
        /// that disagree fades two copies of an object at once (ghosts), so far more pixels change than when
        /// an object just moves. Below 1, nothing at a seam changes more than the video does elsewhere.
        public var worstStepRatio: Double
        /// The same step over the median step outside seams (large for slow videos, whose median is small).
        public var worstStepOverMedian: Double
        /// The frame pair (i, i + 1) of that largest change.
        public var worstStepFrame: Int?
        public var medianStep: Double

        /// Above this worst-step ratio, seams are likely visible (ghosts, jumps): `inspect` says so.
        public static let visibleStepRatio = 1.5

        public var seamsVisible: Bool { worstStepRatio > Self.visibleStepRatio }

        public var description: String {
            let worst = worstSeam.map { " (frames \($0.lowerBound)-\($0.upperBound - 1))" } ?? ""
            let step = worstStepFrame.map { " at frame \($0)" } ?? ""
            let verdict =
                seamsVisible
                ? "seams visible: a seam steps \(String(format: "%.2f", worstStepRatio))x more than the video anywhere else (over \(Self.visibleStepRatio)); windows disagree (ghosts)"
                : "seams invisible"
            return String(
                format: "worst seam step %.3f x the largest step elsewhere%@ (%.2f x the median step); seam ratio %.3f (seams %.3f, elsewhere %.3f, worst seam %.3f%@) over %d frames\n%@",
                worstStepRatio, step, worstStepOverMedian, ratio, seamMean, elsewhereMean, worstSeamRatio, worst, frames, verdict)
        }
    }

    /// `differences[i]` is the mean absolute difference between frame i and frame i + 1, `steps[i]` the
    /// share of pixels that changed visibly between them (the differences when not given).
    public func report(differences: [Double], steps given: [Double]? = nil) -> Report {
        let steps = given ?? differences
        func excluded(_ i: Int) -> Bool { cuts.contains { $0.contains(i + 1) || $0.contains(i) } }
        func inSeam(_ i: Int) -> Bool { seams.contains { $0.contains(i) && $0.contains(i + 1) } }
        var seamSum = 0.0, seamCount = 0, elseSum = 0.0, elseCount = 0
        var outside: [Double] = []
        var worstStep = 0.0
        var worstStepFrame: Int?
        for (i, d) in differences.enumerated() where !excluded(i) {
            if inSeam(i) {
                seamSum += d
                seamCount += 1
                if steps[i] > worstStep {
                    worstStep = steps[i]
                    worstStepFrame = i
                }
            } else {
                elseSum += d
                elseCount += 1
                outside.append(steps[i])
            }
        }
        outside.sort()
        let median = outside.isEmpty ? 0 : (outside[(outside.count - 1) / 2] + outside[outside.count / 2]) / 2
        let elsewhere = elseCount > 0 ? elseSum / Double(elseCount) : 0
        let seamMean = seamCount > 0 ? seamSum / Double(seamCount) : 0
        var worst = 0.0
        var worstSeam: Range<Int>?
        for seam in seams {
            let pairs = (seam.lowerBound..<max(seam.lowerBound, seam.upperBound - 1)).filter { $0 < differences.count && !excluded($0) }
            guard !pairs.isEmpty else { continue }
            let mean = pairs.map { differences[$0] }.reduce(0, +) / Double(pairs.count)
            let r = mean / max(elsewhere, 1e-9)
            if r > worst {
                worst = r
                worstSeam = seam
            }
        }
        return Report(
            frames: differences.count + 1, seamMean: seamMean, elsewhereMean: elsewhere,
            ratio: seamMean / max(elsewhere, 1e-9), worstSeamRatio: worst, worstSeam: worstSeam,
            worstStepRatio: worstStep / max(outside.last ?? 0, 1e-9), worstStepOverMedian: worstStep / max(median, 1e-9),
            worstStepFrame: worstStepFrame, medianStep: median)
    }

    /// A channel change of more than this (of 255) between two frames is visible.
    public static let visibleChange = 12

    /// The share of pixels of two equally sized interleaved RGB frames whose largest channel change is visible.
    public static func changedFraction(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var changed = 0
        var i = 0
        while i + 2 < a.count {
            let d = max(abs(Int(a[i]) - Int(b[i])), abs(Int(a[i + 1]) - Int(b[i + 1])), abs(Int(a[i + 2]) - Int(b[i + 2])))
            if d > visibleChange { changed += 1 }
            i += 3
        }
        return Double(changed) / Double(max(a.count / 3, 1))
    }

    /// Mean absolute difference of two equally sized frames.
    public static func difference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var total = 0
        for i in 0..<a.count { total += abs(Int(a[i]) - Int(b[i])) }
        return Double(total) / Double(max(a.count, 1))
    }
}
