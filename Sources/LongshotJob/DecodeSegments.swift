import LongshotDiffusion

/// A run of video frames decoded and encoded as one unit (one MP4 segment starting with its own IDR
/// frame), and the latent frames its decoder is given: the segment's own and the decoder's context.
public struct DecodeSegment: Sendable, Hashable {
    public var index: Int
    public var videoFrames: Range<Int>
    public var latentFrames: Range<Int>

    public init(index: Int, videoFrames: Range<Int>, latentFrames: Range<Int>) {
        self.index = index
        self.videoFrames = videoFrames
        self.latentFrames = latentFrames
    }
}

extension JobPlan {
    /// Video frames per decode segment. The segmentation depends only on the job, so `longshot render`
    /// and the farm (where each segment is a unit of work for a worker) make the same bytes.
    public static let segmentFrames = 48

    /// The job's video cut into segments of ``segmentFrames`` frames (the last one shorter).
    public var decodeSegments: [DecodeSegment] {
        stride(from: 0, to: spec.videoFrames, by: Self.segmentFrames).enumerated().map { index, start in
            let frames = start..<min(start + Self.segmentFrames, spec.videoFrames)
            return DecodeSegment(
                index: index, videoFrames: frames, latentFrames: layout.decodeLatents(forVideoFrames: frames, total: latentFrames))
        }
    }
}
