import LongshotTensor

/// A window's text conditioning, projected once and reused for every step: the text tokens after
/// `text_embed`, and each block's cross-attention keys and values.
public struct DiTTextContext: Sendable {
    /// Text tokens.
    public let tokens: Int
    /// Per block, `tokens x 2·hiddenSize`: keys in the first half of each row, values in the second.
    let keyValues: [[Float]]
}

extension DiTModel {
    /// Projects text token states (`tokens x textDim`, e.g. ``LongshotTextEncoder``'s MiniLM states).
    public func textContext(_ states: Tensor) -> DiTTextContext {
        let c = configuration, d = c.hiddenSize
        precondition(states.rank == 2 && states.shape[1] == c.textDim, "text states \(states.shape) are not tokens x \(c.textDim)")
        let n = states.shape[0]
        guard n > 0 else { return DiTTextContext(tokens: 0, keyValues: Array(repeating: [], count: c.depth)) }
        var hidden = [Float](repeating: 0, count: n * d)
        var context = [Float](repeating: 0, count: n * d)
        states.withUnsafeBufferPointer { s in
            hidden.withUnsafeMutableBufferPointer { h in
                weights.text1.apply(s.baseAddress!, rows: n, into: h.baseAddress!)
                Activation.gelu(h.baseAddress!, count: n * d, approximation: .tanh)
                context.withUnsafeMutableBufferPointer { ctx in
                    weights.text2.apply(h.baseAddress!, rows: n, into: ctx.baseAddress!)
                }
            }
        }
        let keyValues = weights.blocks.map { block -> [Float] in
            var kv = [Float](repeating: 0, count: n * 2 * d)
            context.withUnsafeBufferPointer { ctx in
                kv.withUnsafeMutableBufferPointer { out in block.crossKV.apply(ctx.baseAddress!, rows: n, into: out.baseAddress!) }
            }
            return kv
        }
        return DiTTextContext(tokens: n, keyValues: keyValues)
    }
}
