import LongshotTensor

/// The weights of a BERT encoder in the layout its forward pass uses: the query, key and value
/// projections of each layer fused into one `3·hidden x hidden` matrix, so one sgemm computes all three.
struct BertWeights: Sendable {
    struct Layer: Sendable {
        var qkvWeight: Tensor, qkvBias: Tensor
        var attentionOutWeight: Tensor, attentionOutBias: Tensor
        var attentionNormWeight: Tensor, attentionNormBias: Tensor
        var intermediateWeight: Tensor, intermediateBias: Tensor
        var outputWeight: Tensor, outputBias: Tensor
        var outputNormWeight: Tensor, outputNormBias: Tensor
    }

    var wordEmbeddings: Tensor, positionEmbeddings: Tensor, tokenTypeEmbeddings: Tensor
    var embeddingNormWeight: Tensor, embeddingNormBias: Tensor
    var layers: [Layer]

    /// Loads Hugging Face `BertModel` tensor names, checking every shape against `config`.
    init(file: SafetensorsFile, config c: BertConfiguration) throws {
        let h = c.hiddenSize
        func t(_ name: String, _ shape: [Int]) throws -> Tensor {
            // Checkpoints saved from BertForX carry a "bert." prefix.
            if file.entries[name] == nil, file.entries["bert." + name] != nil { return try file.tensor("bert." + name, shape: shape) }
            return try file.tensor(name, shape: shape)
        }
        wordEmbeddings = try t("embeddings.word_embeddings.weight", [c.vocabularySize, h])
        positionEmbeddings = try t("embeddings.position_embeddings.weight", [c.maxPositions, h])
        tokenTypeEmbeddings = try t("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, h])
        embeddingNormWeight = try t("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try t("embeddings.LayerNorm.bias", [h])
        layers = try (0..<c.layers).map { i in
            let p = "encoder.layer.\(i)."
            let q = try t(p + "attention.self.query.weight", [h, h]), k = try t(p + "attention.self.key.weight", [h, h])
            let v = try t(p + "attention.self.value.weight", [h, h])
            let qb = try t(p + "attention.self.query.bias", [h]), kb = try t(p + "attention.self.key.bias", [h])
            let vb = try t(p + "attention.self.value.bias", [h])
            return Layer(
                qkvWeight: Tensor(shape: [3 * h, h], scalars: q.scalars + k.scalars + v.scalars),
                qkvBias: Tensor(shape: [3 * h], scalars: qb.scalars + kb.scalars + vb.scalars),
                attentionOutWeight: try t(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try t(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try t(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try t(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try t(p + "intermediate.dense.weight", [c.intermediateSize, h]),
                intermediateBias: try t(p + "intermediate.dense.bias", [c.intermediateSize]),
                outputWeight: try t(p + "output.dense.weight", [h, c.intermediateSize]),
                outputBias: try t(p + "output.dense.bias", [h]),
                outputNormWeight: try t(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try t(p + "output.LayerNorm.bias", [h]))
        }
    }
}
