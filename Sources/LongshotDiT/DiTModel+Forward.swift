import LongshotTensor

extension DiTModel {
    /// The whole network on one window; every intermediate lives in `ws`.
    ///
    /// Each block runs as five parallel regions: work that stays within a token row is done chunk by chunk
    /// (``ComputeThreads/forEachRowChunk(_:chunk:_:)``, 128 rows per task, so a chunk's activations stay in
    /// the cache from one kernel to the next), and the two attentions run in (head, query block) tasks.
    func forward(
        _ latents: UnsafePointer<Float>, grid: PatchGrid, conditioning: [Float], text: DiTTextContext,
        rope: RotaryEmbedding, workspace ws: DiTWorkspace, output: UnsafeMutablePointer<Float>
    ) {
        let d = configuration.hiddenSize, n = grid.tokens
        grid.patchify(latents, into: ws.mlp)
        weights.patchEmbed.apply(ws.mlp, rows: n, into: ws.x)
        conditioning.withUnsafeBufferPointer { cond in
            for (index, block) in weights.blocks.enumerated() {
                block.modulation.apply(cond.baseAddress!, rows: 1, into: ws.modulation)
                foldGates(block, ws: ws)
                selfAttentionInputs(block, tokens: n, rope: rope, ws: ws)
                selfAttention(tokens: n, ws: ws)
                projectAndStartCrossAttention(block, tokens: n, text: text, ws: ws)
                crossAttention(tokens: n, text: text, keyValues: text.keyValues[index], ws: ws)
                finishCrossAttentionAndFeedForward(block, tokens: n, text: text, ws: ws)
            }
            weights.finalModulation.apply(cond.baseAddress!, rows: 1, into: ws.modulation)
        }
        normalizeAndModulate(ws.x, into: ws.h, rows: n, shift: ws.modulation, scale: ws.modulation + d)
        weights.finalProj.apply(ws.h, rows: n, into: ws.mlp)
        grid.unpatchify(ws.mlp, into: output)
    }

    /// The gated residual layers' weights scaled by this block's gates (`gate_msa` for the attention
    /// projection, `gate_mlp` for fc2), so each gated residual is one sgemm with beta 1.
    private func foldGates(_ block: DiTWeights.Block, ws: DiTWorkspace) {
        let d = configuration.hiddenSize
        block.proj.foldGate(ws.modulation + 2 * d, into: ws.gatedProj)
        block.fc2.foldGate(ws.modulation + 5 * d, into: ws.gatedFC2)
    }

    /// Per chunk: `h = LN(x) ⊙ (1 + scale_msa) + shift_msa`, `qkv = h Wᵀ + b`, RMS-normed q and k, 3D RoPE.
    private func selfAttentionInputs(_ block: DiTWeights.Block, tokens n: Int, rope: RotaryEmbedding, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize
        block.normQ.withUnsafeBufferPointer { gq in
            block.normK.withUnsafeBufferPointer { gk in
                ComputeThreads.forEachRowChunk(n) { rows in
                    let r0 = rows.lowerBound, count = rows.count
                    let qkv = ws.qkv + r0 * 3 * d
                    normalizeAndModulate(ws.x + r0 * d, into: ws.h + r0 * d, rows: count, shift: ws.modulation, scale: ws.modulation + d)
                    block.qkv.apply(ws.h + r0 * d, rows: count, into: qkv)
                    Normalization.rmsNorm(qkv, rows: count, width: d, stride: 3 * d, gamma: gq.baseAddress, epsilon: c.epsilon)
                    Normalization.rmsNorm(qkv + d, rows: count, width: d, stride: 3 * d, gamma: gk.baseAddress, epsilon: c.epsilon)
                    rope.apply(to: qkv, rows: count, stride: 3 * d, heads: c.heads, headDim: c.headDim, firstPosition: r0)
                    rope.apply(to: qkv + d, rows: count, stride: 3 * d, heads: c.heads, headDim: c.headDim, firstPosition: r0)
                }
            }
        }
    }

    /// `context = attention(q, k, v)` over the window's tokens.
    private func selfAttention(tokens n: Int, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize
        Attention.scaledDotProduct(
            query: ws.qkv, queryStride: 3 * d, key: ws.qkv + d, keyStride: 3 * d, value: ws.qkv + 2 * d, valueStride: 3 * d,
            output: ws.context, outputStride: d, queries: n, keys: n, heads: c.heads, headDim: c.headDim,
            workspace: &ws.attention)
    }

    /// Per chunk: `x += gate_msa ⊙ proj(context)`; then the cross-attention query `q(LN_affine(x))`.
    private func projectAndStartCrossAttention(_ block: DiTWeights.Block, tokens n: Int, text: DiTTextContext, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize
        block.crossNormWeight.withUnsafeBufferPointer { g in
            block.crossNormBias.withUnsafeBufferPointer { b in
                ComputeThreads.forEachRowChunk(n) { rows in
                    let r0 = rows.lowerBound, count = rows.count
                    block.proj.applyFolded(ws.context + r0 * d, rows: count, folded: ws.gatedProj, into: ws.x + r0 * d)
                    // No text tokens: the cross-attention sub-layer is skipped.
                    guard text.tokens > 0 else { return }
                    let h = ws.h + r0 * d
                    h.update(from: ws.x + r0 * d, count: count * d)
                    Normalization.layerNorm(h, rows: count, width: d, gamma: g.baseAddress, beta: b.baseAddress, epsilon: c.epsilon)
                    block.crossQ.apply(h, rows: count, into: ws.qkv + r0 * d)
                }
            }
        }
    }

    /// `context = attention(q, k(text), v(text))`.
    private func crossAttention(tokens n: Int, text: DiTTextContext, keyValues: [Float], ws: DiTWorkspace) {
        guard text.tokens > 0 else { return }
        let c = configuration, d = c.hiddenSize
        keyValues.withUnsafeBufferPointer { kv in
            Attention.scaledDotProduct(
                query: ws.qkv, queryStride: d, key: kv.baseAddress!, keyStride: 2 * d, value: kv.baseAddress! + d,
                valueStride: 2 * d, output: ws.context, outputStride: d, queries: n, keys: text.tokens, heads: c.heads,
                headDim: c.headDim, workspace: &ws.attention)
        }
    }

    /// Per chunk: `x += proj(context)`; then `x += gate_mlp ⊙ fc2(GELU_tanh(fc1(LN(x) ⊙ (1 + scale) + shift)))`.
    private func finishCrossAttentionAndFeedForward(_ block: DiTWeights.Block, tokens n: Int, text: DiTTextContext, ws: DiTWorkspace) {
        let c = configuration, d = c.hiddenSize, f = c.mlpDim
        ComputeThreads.forEachRowChunk(n) { rows in
            let r0 = rows.lowerBound, count = rows.count
            let x = ws.x + r0 * d, h = ws.h + r0 * d, hidden = ws.mlp + r0 * f
            if text.tokens > 0 { block.crossProj.apply(ws.context + r0 * d, rows: count, into: x, accumulate: true) }
            normalizeAndModulate(x, into: h, rows: count, shift: ws.modulation + 3 * d, scale: ws.modulation + 4 * d)
            block.fc1.apply(h, rows: count, into: hidden, activation: .tanh)
            block.fc2.applyFolded(hidden, rows: count, folded: ws.gatedFC2, into: x)
        }
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
