import LongshotTensor

/// A BERT encoder (Hugging Face `BertModel` without the pooler) on OpenBLAS: token ids in, per-token
/// hidden states out.
///
/// Immutable after loading, so one instance may serve concurrent callers.
public struct BertModel: Sendable {
    /// The encoder's dimensions.
    public let configuration: BertConfiguration
    let weights: BertWeights

    /// Loads the weights of `file` (Hugging Face names, F32/F16/BF16), checking every name and shape.
    /// - Throws: ``SafetensorsError`` naming a missing or misshapen tensor.
    public init(configuration: BertConfiguration, weights file: SafetensorsFile) throws {
        self.configuration = configuration
        self.weights = try BertWeights(file: file, config: configuration)
    }

    /// The last layer's hidden states, `tokens x hiddenSize`.
    ///
    /// - Parameters:
    ///   - tokenIDs: at most `maxPositions` (512) ids, each below the vocabulary size; token type 0.
    ///   - attentionMask: `false` marks padding keys no token attends to (their own rows are still computed,
    ///     as in PyTorch); `nil` attends to every token.
    public func hiddenStates(tokenIDs: [Int], attentionMask: [Bool]? = nil) -> Tensor {
        let c = configuration, h = c.hiddenSize, n = tokenIDs.count
        precondition(n <= c.maxPositions, "\(n) tokens exceed BERT's \(c.maxPositions) positions")
        precondition(tokenIDs.allSatisfy { (0..<c.vocabularySize).contains($0) }, "token id outside the vocabulary")
        precondition(attentionMask.map { $0.count == n } ?? true, "attention mask length differs from the token count")
        var hidden = embed(tokenIDs)
        guard n > 0 else { return hidden }
        let bias = (attentionMask ?? []).map { $0 ? Float(0) : -.infinity }
        var qkv = [Float](repeating: 0, count: n * 3 * h)
        var context = [Float](repeating: 0, count: n * h)
        var intermediate = [Float](repeating: 0, count: n * c.intermediateSize)
        var workspace = AttentionWorkspace(queryBlock: 128, keyBlock: 512)
        hidden.withUnsafeMutableBufferPointer { x in
            bias.withUnsafeBufferPointer { keyBias in
                for layer in weights.layers {
                    encoderLayer(
                        layer, x: x.baseAddress!, tokens: n, qkv: &qkv, context: &context, intermediate: &intermediate,
                        keyBias: attentionMask == nil ? nil : keyBias.baseAddress, workspace: &workspace)
                }
            }
        }
        return hidden
    }

    /// Word + position + token-type (0) embeddings, layer-normalised.
    private func embed(_ ids: [Int]) -> Tensor {
        let h = configuration.hiddenSize
        var out = Tensor(shape: [ids.count, h])
        guard !ids.isEmpty else { return out }
        out.withUnsafeMutableBufferPointer { o in
            weights.wordEmbeddings.withUnsafeBufferPointer { word in
                weights.positionEmbeddings.withUnsafeBufferPointer { position in
                    weights.tokenTypeEmbeddings.withUnsafeBufferPointer { type in
                        for (t, id) in ids.enumerated() {
                            let row = o.baseAddress! + t * h
                            for j in 0..<h { row[j] = word[id * h + j] + position[t * h + j] + type[j] }
                        }
                    }
                }
            }
            weights.embeddingNormWeight.withUnsafeBufferPointer { g in
                weights.embeddingNormBias.withUnsafeBufferPointer { b in
                    Normalization.layerNorm(
                        o.baseAddress!, rows: ids.count, width: h, gamma: g.baseAddress, beta: b.baseAddress,
                        epsilon: configuration.layerNormEpsilon)
                }
            }
        }
        return out
    }
}
