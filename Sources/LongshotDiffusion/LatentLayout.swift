/// How an engine lays out a video in latent space: channels and a grid reduced in space and time.
public struct LatentLayout: Sendable, Hashable, Codable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// Video frames per latent frame.
    public var temporalFactor: Int
    /// Video pixels per latent pixel along each axis.
    public var spatialFactor: Int
    /// The first latent frame stands for one video frame and each later one for `temporalFactor` frames,
    /// as in the causal video VAEs of Wan, LTX-Video and HunyuanVideo (n latent frames decode to
    /// 1 + (n - 1) x temporalFactor frames). Otherwise latent frame k stands for frames k x temporalFactor ..<
    /// (k + 1) x temporalFactor.
    public var causal: Bool
    /// Latent frames on each side of a decode segment that its decoder reads (its temporal reach).
    public var decodeContext: Int

    public init(
        channels: Int, height: Int, width: Int, temporalFactor: Int, spatialFactor: Int, causal: Bool = false,
        decodeContext: Int = 1
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.temporalFactor = temporalFactor
        self.spatialFactor = spatialFactor
        self.causal = causal
        self.decodeContext = decodeContext
    }

    enum CodingKeys: String, CodingKey {
        case channels, height, width, temporalFactor, spatialFactor, causal, decodeContext
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            channels: try c.decode(Int.self, forKey: .channels), height: try c.decode(Int.self, forKey: .height),
            width: try c.decode(Int.self, forKey: .width), temporalFactor: try c.decode(Int.self, forKey: .temporalFactor),
            spatialFactor: try c.decode(Int.self, forKey: .spatialFactor),
            causal: try c.decodeIfPresent(Bool.self, forKey: .causal) ?? false,
            decodeContext: try c.decodeIfPresent(Int.self, forKey: .decodeContext) ?? 1)
    }

    /// Elements in one latent frame.
    public var frameSize: Int { channels * height * width }

    /// Latent frames needed for `videoFrames` frames.
    public func latentFrames(forVideoFrames videoFrames: Int) -> Int {
        if causal { return videoFrames <= 1 ? 1 : 1 + (videoFrames - 1 + temporalFactor - 1) / temporalFactor }
        return (videoFrames + temporalFactor - 1) / temporalFactor
    }

    /// The first video frame latent frame `f` stands for.
    public func firstVideoFrame(ofLatentFrame f: Int) -> Int {
        causal ? (f == 0 ? 0 : 1 + (f - 1) * temporalFactor) : f * temporalFactor
    }

    /// The latent frame that video frame `v` belongs to.
    public func latentFrame(ofVideoFrame v: Int) -> Int {
        causal ? (v == 0 ? 0 : 1 + (v - 1) / temporalFactor) : v / temporalFactor
    }

    /// The latent frames a decoder is given to make video frames `videoFrames`, of a video of `total`
    /// latent frames: those frames, `decodeContext` more on each side, and for a causal layout a start
    /// at or before `videoFrames.lowerBound / temporalFactor` (a causal decode of latent frames from j on
    /// yields video frames from j x temporalFactor on).
    public func decodeLatents(forVideoFrames videoFrames: Range<Int>, total: Int) -> Range<Int> {
        let first = causal ? videoFrames.lowerBound / temporalFactor : latentFrame(ofVideoFrame: videoFrames.lowerBound)
        let last = latentFrame(ofVideoFrame: max(videoFrames.upperBound - 1, videoFrames.lowerBound))
        return max(0, first - decodeContext)..<min(total, last + 1 + decodeContext)
    }
}
