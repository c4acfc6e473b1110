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

extension Longshot_V1_WindowPiece {
    /// A window's piece on the wire: its frames as an F32 tensor.
    public init(_ piece: WindowPiece, layout: LatentLayout) throws(TensorValidationError) {
        self.init()
        windowIndex = UInt32(piece.window)
        firstFrame = UInt32(piece.firstFrame)
        frameCount = UInt32(piece.frames)
        latents = try Longshot_V1_Tensor(latents: piece.data, frames: piece.frames, layout: layout)
    }

    /// The piece, checked against its shape and checksum.
    public func piece(layout: LatentLayout) throws(TensorValidationError) -> WindowPiece {
        WindowPiece(
            window: Int(windowIndex), firstFrame: Int(firstFrame), frames: Int(frameCount),
            data: try latents.latents(frames: Int(frameCount), layout: layout))
    }
}
