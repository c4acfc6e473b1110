import LongshotTensor

/// The buffers of one forward pass, carved from one allocation sized for the window and reused by every
/// block. Owned by one call (not shared between threads); `deinit` frees the memory.
final class DiTWorkspace {
    /// tokens x D: the residual stream.
    let x: UnsafeMutablePointer<Float>
    /// tokens x D: the normalised, modulated input of a sub-layer.
    let h: UnsafeMutablePointer<Float>
    /// tokens x 3D: fused q, k, v (the cross-attention query reuses its first tokens x D).
    let qkv: UnsafeMutablePointer<Float>
    /// tokens x D: an attention output.
    let context: UnsafeMutablePointer<Float>
    /// tokens x max(mlpDim, patchDim): the MLP's hidden layer, and the patch vectors at both ends.
    let mlp: UnsafeMutablePointer<Float>
    /// 6D: one block's shift, scale and gate vectors.
    let modulation: UnsafeMutablePointer<Float>
    /// D x (D + 1): the attention projection's weight and bias scaled by `gate_msa`.
    let gatedProj: UnsafeMutablePointer<Float>
    /// D x (mlpDim + 1): fc2's weight and bias scaled by `gate_mlp`.
    let gatedFC2: UnsafeMutablePointer<Float>
    var attention = AttentionWorkspace(queryBlock: 128, keyBlock: 1024)
    private let base: UnsafeMutablePointer<Float>

    init(configuration c: DiTConfiguration, tokens n: Int) {
        let d = c.hiddenSize
        let sizes = [n * d, n * d, n * 3 * d, n * d, n * max(c.mlpDim, c.patchDim), 6 * d, d * (d + 1), d * (c.mlpDim + 1)]
        base = .allocate(capacity: sizes.reduce(0, +))
        base.initialize(repeating: 0, count: sizes.reduce(0, +))
        var offsets: [Int] = []
        var at = 0
        for s in sizes {
            offsets.append(at)
            at += s
        }
        x = base + offsets[0]
        h = base + offsets[1]
        qkv = base + offsets[2]
        context = base + offsets[3]
        mlp = base + offsets[4]
        modulation = base + offsets[5]
        gatedProj = base + offsets[6]
        gatedFC2 = base + offsets[7]
    }

    deinit {
        base.deallocate()
    }
}
