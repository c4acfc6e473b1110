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
        /// The largest single frame-to-frame change inside a seam, over the median change outside seams: a
        /// cross-fade between windows that disagree jumps here even when the means hide it.
        public var worstStepRatio: Double
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
                ? "seams visible: the worst step is \(String(format: "%.2f", worstStepRatio))x the median (over \(Self.visibleStepRatio)); windows disagree (ghosts)"
                : "seams invisible"
            return String(
                format: "worst seam step %.3f x the median step%@ (median %.3f); seam ratio %.3f (seams %.3f, elsewhere %.3f, worst seam %.3f%@) over %d frames\n%@",
                worstStepRatio, step, medianStep, ratio, seamMean, elsewhereMean, worstSeamRatio, worst, frames, verdict)
        }
    }

    /// `differences[i]` is the mean absolute difference between frame i and frame i + 1.
    public func report(differences: [Double]) -> Report {
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
                if d > worstStep {
                    worstStep = d
                    worstStepFrame = i
                }
            } else {
                elseSum += d
                elseCount += 1
                outside.append(d)
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
            worstStepRatio: worstStep / max(median, 1e-9), worstStepFrame: worstStepFrame, medianStep: median)
    }

    /// Mean absolute difference of two equally sized frames.
    public static func difference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var total = 0
        for i in 0..<a.count { total += abs(Int(a[i]) - Int(b[i])) }
        return Double(total) / Double(max(a.count, 1))
    }
}
