import LongshotTensor

extension BertModel {
    /// One post-norm encoder layer in place on `x` (`tokens x hidden`):
    /// `x = LN(x + Wo·attention(Wqkv·x))`, then `x = LN(x + W2·gelu(W1·x))`.
    /// The residual additions are fused into the output projections (sgemm with beta 1).
    func encoderLayer(
        _ layer: BertWeights.Layer, x: UnsafeMutablePointer<Float>, tokens n: Int,
        qkv: inout [Float], context: inout [Float], intermediate: inout [Float],
        keyBias: UnsafePointer<Float>?, workspace: inout AttentionWorkspace
    ) {
        let c = configuration, h = c.hiddenSize, f = c.intermediateSize
        qkv.withUnsafeMutableBufferPointer { qkvBuffer in
            context.withUnsafeMutableBufferPointer { contextBuffer in
                let q = qkvBuffer.baseAddress!, ctx = contextBuffer.baseAddress!
                layer.qkvWeight.withUnsafeBufferPointer { w in
                    layer.qkvBias.withUnsafeBufferPointer { b in
                        BLAS.linear(
                            rows: n, inFeatures: h, outFeatures: 3 * h, input: x, weight: w.baseAddress!,
                            bias: b.baseAddress!, output: q)
                    }
                }
                Attention.scaledDotProduct(
                    query: q, queryStride: 3 * h, key: q + h, keyStride: 3 * h, value: q + 2 * h, valueStride: 3 * h,
                    output: ctx, outputStride: h, queries: n, keys: n, heads: c.heads, headDim: h / c.heads,
                    keyBias: keyBias, workspace: &workspace)
                linear(ctx, n, h, h, layer.attentionOutWeight, layer.attentionOutBias, into: x, accumulate: true)
            }
        }
        norm(x, n, layer.attentionNormWeight, layer.attentionNormBias)
        intermediate.withUnsafeMutableBufferPointer { interBuffer in
            let inter = interBuffer.baseAddress!
            linear(UnsafePointer(x), n, h, f, layer.intermediateWeight, layer.intermediateBias, into: inter, accumulate: false)
            Activation.gelu(inter, count: n * f, approximation: .none)
            linear(UnsafePointer(inter), n, f, h, layer.outputWeight, layer.outputBias, into: x, accumulate: true)
        }
        norm(x, n, layer.outputNormWeight, layer.outputNormBias)
    }

    private func linear(
        _ input: UnsafePointer<Float>, _ rows: Int, _ inF: Int, _ outF: Int, _ weight: Tensor, _ bias: Tensor,
        into output: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                BLAS.linear(
                    rows: rows, inFeatures: inF, outFeatures: outF, input: input, weight: w.baseAddress!,
                    bias: b.baseAddress!, output: output, accumulate: accumulate)
            }
        }
    }

    private func norm(_ x: UnsafeMutablePointer<Float>, _ rows: Int, _ gamma: Tensor, _ beta: Tensor) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                Normalization.layerNorm(
                    x, rows: rows, width: configuration.hiddenSize, gamma: g.baseAddress, beta: b.baseAddress,
                    epsilon: configuration.layerNormEpsilon)
            }
        }
    }
}
