/// How an engine lays out a video in latent space: channels and a grid reduced in space and time.
public struct LatentLayout: Sendable, Hashable, Codable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// Video frames per latent frame.
    public var temporalFactor: Int
    /// Video pixels per latent pixel along each axis.
    public var spatialFactor: Int

    public init(channels: Int, height: Int, width: Int, temporalFactor: Int, spatialFactor: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.temporalFactor = temporalFactor
        self.spatialFactor = spatialFactor
    }

    /// Elements in one latent frame.
    public var frameSize: Int { channels * height * width }

    /// Latent frames needed for `videoFrames` frames.
    public func latentFrames(forVideoFrames videoFrames: Int) -> Int {
        (videoFrames + temporalFactor - 1) / temporalFactor
    }
}
