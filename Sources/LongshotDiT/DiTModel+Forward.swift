import LongshotTensor

extension DiTModel {
    /// The whole network on one window; every intermediate lives in `ws`.
    func forward(
        _ latents: UnsafePointer<Float>, grid: PatchGrid, conditioning: [Float], text: DiTTextContext,
        rope: RotaryEmbedding, workspace ws: DiTWorkspace, output: UnsafeMutablePointer<Float>
    ) {
        let c = configuration, d = c.hiddenSize, n = grid.tokens
        grid.patchify(latents, into: ws.mlp)
        weights.patchEmbed.apply(ws.mlp, rows: n, into: ws.x)
        conditioning.withUnsafeBufferPointer { cond in
            for (index, block) in weights.blocks.enumerated() {
                block.modulation.apply(cond.baseAddress!, rows: 1, into: ws.modulation)
                selfAttention(block, tokens: n, rope: rope, ws: ws)
                crossAttention(block, tokens: n, text: text, keyValues: text.keyValues[index], ws: ws)
                feedForward(block, tokens: n, ws: ws)
            }
            weights.finalModulation.apply(cond.baseAddress!, rows: 1, into: ws.modulation)
        }
        normalizeAndModulate(ws.x, into: ws.h, rows: n, shift: ws.modulation, scale: ws.modulation + d)
        weights.finalProj.apply(ws.h, rows: n, into: ws.mlp)
        grid.unpatchify(ws.mlp, into: output)
    }

    /// `x += gate_msa ⊙ proj(attention(RoPE(RMSNorm(q)), RoPE(RMSNorm(k)), v))` on the modulated `LN(x)`.
    private func selfAttention(_ block: DiTWeights.Block, tokens n: Int, rope: RotaryEmbedding, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize
        normalizeAndModulate(ws.x, into: ws.h, rows: n, shift: ws.modulation, scale: ws.modulation + d)
        block.qkv.apply(ws.h, rows: n, into: ws.qkv)
        block.normQ.withUnsafeBufferPointer { g in
            Normalization.rmsNorm(ws.qkv, rows: n, width: d, stride: 3 * d, gamma: g.baseAddress, epsilon: c.epsilon)
        }
        block.normK.withUnsafeBufferPointer { g in
            Normalization.rmsNorm(ws.qkv + d, rows: n, width: d, stride: 3 * d, gamma: g.baseAddress, epsilon: c.epsilon)
        }
        rope.apply(to: ws.qkv, rows: n, stride: 3 * d, heads: c.heads, headDim: c.headDim)
        rope.apply(to: ws.qkv + d, rows: n, stride: 3 * d, heads: c.heads, headDim: c.headDim)
        Attention.scaledDotProduct(
            query: ws.qkv, queryStride: 3 * d, key: ws.qkv + d, keyStride: 3 * d, value: ws.qkv + 2 * d, valueStride: 3 * d,
            output: ws.context, outputStride: d, queries: n, keys: n, heads: c.heads, headDim: c.headDim,
            workspace: &ws.attention)
        block.proj.applyGated(ws.context, rows: n, gate: ws.modulation + 2 * d, into: ws.x, scratch: ws.gated)
    }

    /// `x += proj(attention(q(LN_affine(x)), k(text), v(text)))`.
    private func crossAttention(_ block: DiTWeights.Block, tokens n: Int, text: DiTTextContext, keyValues: [Float], ws: DiTWorkspace) {
        guard text.tokens > 0 else { return }  // no text tokens: the cross-attention sub-layer is skipped
        let c = configuration, d = c.hiddenSize
        ws.h.update(from: ws.x, count: n * d)
        block.crossNormWeight.withUnsafeBufferPointer { g in
            block.crossNormBias.withUnsafeBufferPointer { b in
                Normalization.layerNorm(ws.h, rows: n, width: d, gamma: g.baseAddress, beta: b.baseAddress, epsilon: c.epsilon)
            }
        }
        block.crossQ.apply(ws.h, rows: n, into: ws.qkv)
        keyValues.withUnsafeBufferPointer { kv in
            Attention.scaledDotProduct(
                query: ws.qkv, queryStride: d, key: kv.baseAddress!, keyStride: 2 * d, value: kv.baseAddress! + d,
                valueStride: 2 * d, output: ws.context, outputStride: d, queries: n, keys: text.tokens, heads: c.heads,
                headDim: c.headDim, workspace: &ws.attention)
        }
        block.crossProj.apply(ws.context, rows: n, into: ws.x, accumulate: true)
    }

    /// `x += gate_mlp ⊙ fc2(GELU_tanh(fc1(LN(x) ⊙ (1 + scale) + shift)))`.
    private func feedForward(_ block: DiTWeights.Block, tokens n: Int, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize
        normalizeAndModulate(ws.x, into: ws.h, rows: n, shift: ws.modulation + 3 * d, scale: ws.modulation + 4 * d)
        block.fc1.apply(ws.h, rows: n, into: ws.mlp, activation: .tanh)
        block.fc2.applyGated(ws.mlp, rows: n, gate: ws.modulation + 5 * d, into: ws.x, scratch: ws.gated)
    }

    /// `out = LN(x) ⊙ (1 + scale) + shift` (affine-free layer norm, then AdaLN modulation).
    func normalizeAndModulate(
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int,
        shift: UnsafePointer<Float>, scale: UnsafePointer<Float>
    ) {
        Normalization.layerNormModulate(
            x, into: out, rows: rows, width: configuration.hiddenSize, shift: shift, scale: scale,
            epsilon: configuration.epsilon)
    }
}
