/// A run of latent frames `firstFrame..<firstFrame+frames` stored contiguously as [frame][channel][y][x].
public struct LatentVideo: Sendable, Equatable {
    public var layout: LatentLayout
    public var firstFrame: Int
    public var frames: Int
    public var data: [Float]

    public init(layout: LatentLayout, firstFrame: Int, frames: Int, data: [Float]) {
        precondition(data.count == frames * layout.frameSize, "latent data does not match its shape")
        self.layout = layout
        self.firstFrame = firstFrame
        self.frames = frames
        self.data = data
    }

    public init(zeros layout: LatentLayout, firstFrame: Int, frames: Int) {
        self.init(layout: layout, firstFrame: firstFrame, frames: frames, data: [Float](repeating: 0, count: frames * layout.frameSize))
    }

    public var frameRange: Range<Int> { firstFrame..<(firstFrame + frames) }

    /// The frames `range` (absolute) as a new latent video.
    public func slice(_ range: Range<Int>) -> LatentVideo {
        precondition(range.lowerBound >= firstFrame && range.upperBound <= firstFrame + frames, "slice out of range")
        let n = layout.frameSize
        let lo = (range.lowerBound - firstFrame) * n
        let hi = (range.upperBound - firstFrame) * n
        return LatentVideo(layout: layout, firstFrame: range.lowerBound, frames: range.count, data: Array(data[lo..<hi]))
    }
}
