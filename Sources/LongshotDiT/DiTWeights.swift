import LongshotTensor

/// A DiT's weights under the PyTorch twin's `state_dict` names (`ops/dit/twin.py`), shapes checked on load.
struct DiTWeights: Sendable {
    /// A linear layer: `weight` is `out x in` (PyTorch's layout).
    struct Linear: Sendable {
        var weight: Tensor
        var bias: Tensor
        var outFeatures: Int { weight.shape[0] }
        var inFeatures: Int { weight.shape[1] }
    }

    struct Block: Sendable {
        var modulation: Linear
        var qkv: Linear, normQ: Tensor, normK: Tensor, proj: Linear
        var crossNormWeight: Tensor, crossNormBias: Tensor
        var crossQ: Linear, crossKV: Linear, crossProj: Linear
        var fc1: Linear, fc2: Linear
    }

    var patchEmbed: Linear
    var time1: Linear, time2: Linear
    var text1: Linear, text2: Linear
    var blocks: [Block]
    var finalModulation: Linear, finalProj: Linear

    init(file: SafetensorsFile, config c: DiTConfiguration) throws {
        let d = c.hiddenSize
        func linear(_ name: String, _ out: Int, _ inF: Int) throws -> Linear {
            Linear(weight: try file.tensor(name + ".weight", shape: [out, inF]), bias: try file.tensor(name + ".bias", shape: [out]))
        }
        patchEmbed = try linear("patch_embed", d, c.patchDim)
        time1 = try linear("time_embed.0", d, c.frequencyDim)
        time2 = try linear("time_embed.2", d, d)
        text1 = try linear("text_embed.0", d, c.textDim)
        text2 = try linear("text_embed.2", d, d)
        blocks = try (0..<c.depth).map { i in
            let p = "blocks.\(i)."
            return Block(
                modulation: try linear(p + "modulation", 6 * d, d),
                qkv: try linear(p + "attn.qkv", 3 * d, d),
                normQ: try file.tensor(p + "attn.norm_q.weight", shape: [d]),
                normK: try file.tensor(p + "attn.norm_k.weight", shape: [d]),
                proj: try linear(p + "attn.proj", d, d),
                crossNormWeight: try file.tensor(p + "cross_norm.weight", shape: [d]),
                crossNormBias: try file.tensor(p + "cross_norm.bias", shape: [d]),
                crossQ: try linear(p + "cross.q", d, d), crossKV: try linear(p + "cross.kv", 2 * d, d),
                crossProj: try linear(p + "cross.proj", d, d),
                fc1: try linear(p + "mlp.fc1", c.mlpDim, d), fc2: try linear(p + "mlp.fc2", d, c.mlpDim))
        }
        finalModulation = try linear("final_modulation", 2 * d, d)
        finalProj = try linear("final_proj", c.patchDim, d)
    }
}

extension DiTWeights.Linear {
    /// `output[r] (+)= input[r] · weightᵀ + bias` for `rows` rows, then `activation` on the output rows.
    func apply(
        _ input: UnsafePointer<Float>, rows: Int, inputStride: Int? = nil, into output: UnsafeMutablePointer<Float>,
        outputStride: Int? = nil, accumulate: Bool = false, activation: Activation.GELUApproximation? = nil
    ) {
        let width = outFeatures
        precondition(activation == nil || (outputStride ?? width) == width, "a fused activation needs contiguous output rows")
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                BLAS.linear(
                    rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, input: input, inputStride: inputStride,
                    weight: w.baseAddress!, bias: b.baseAddress!, output: output, outputStride: outputStride,
                    accumulate: accumulate,
                    epilogue: activation.map { approximation in
                        { rows, count in Activation.gelu(rows, count: count * width, approximation: approximation) }
                    })
            }
        }
    }

    /// Writes `gate ⊙ weight` and `gate ⊙ bias` (`outFeatures * (inFeatures + 1)` scalars) to `folded`, so
    /// that ``applyFolded(_:rows:folded:into:)`` computes the gated residual in one sgemm with beta 1.
    func foldGate(_ gate: UnsafePointer<Float>, into folded: UnsafeMutablePointer<Float>) {
        let n = outFeatures, k = inFeatures
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                ParallelRows.forEach(n, minimumChunk: 32) { range in
                    for o in range {
                        let g = gate[o], src = w.baseAddress! + o * k, dst = folded + o * k
                        for j in 0..<k { dst[j] = src[j] * g }
                        folded[n * k + o] = b[o] * g
                    }
                }
            }
        }
    }

    /// `output[r] += gate ⊙ (input[r] · weightᵀ + bias)` for `rows` rows, with the gate folded by
    /// ``foldGate(_:into:)``.
    func applyFolded(
        _ input: UnsafePointer<Float>, rows: Int, folded: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        let n = outFeatures, k = inFeatures
        BLAS.linear(
            rows: rows, inFeatures: k, outFeatures: n, input: input, weight: folded, bias: folded + n * k, output: output,
            accumulate: true)
    }
}
