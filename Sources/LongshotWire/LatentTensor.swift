import LongshotDiffusion
import LongshotProtocol

extension Longshot_V1_Tensor {
    /// A window's latents as an F32 tensor of shape [frames, channels, height, width].
    public init(latents data: [Float], frames: Int, layout: LatentLayout) throws(TensorValidationError) {
        try self.init(float32: data, shape: [frames, layout.channels, layout.height, layout.width])
    }

    /// The latents of a window of `frames` frames in `layout`, checked against shape and checksum.
    public func latents(frames: Int, layout: LatentLayout) throws(TensorValidationError) -> [Float] {
        let expected: [Int64] = [frames, layout.channels, layout.height, layout.width].map(Int64.init)
        guard shape == expected else {
            throw TensorValidationError.invalidShape(shape)
        }
        return try float32Values()
    }
}
