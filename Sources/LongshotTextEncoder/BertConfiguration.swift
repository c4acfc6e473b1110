import Foundation

/// The dimensions of a BERT encoder, read from Hugging Face's `config.json`.
public struct BertConfiguration: Sendable, Equatable, Decodable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    /// The feed-forward activation; only `gelu` (the exact, erf-based GELU) is supported.
    public var hiddenActivation: String

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", layers = "num_hidden_layers"
        case heads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositions = "max_position_embeddings", typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps", hiddenActivation = "hidden_act"
    }

    /// Reads and checks `config.json`.
    /// - Throws: ``TextEncoderError/invalidModel(path:reason:)`` when it is unreadable or describes an unsupported model.
    public init(contentsOf path: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw TextEncoderError.invalidModel(path: path, reason: "cannot decode BERT config: \(error)")
        }
        guard hiddenActivation == "gelu" else {
            throw TextEncoderError.invalidModel(path: path, reason: "hidden_act \(hiddenActivation) is not supported (gelu only)")
        }
        guard heads > 0, hiddenSize % heads == 0 else {
            throw TextEncoderError.invalidModel(path: path, reason: "hidden_size \(hiddenSize) is not divisible by \(heads) heads")
        }
    }
}
