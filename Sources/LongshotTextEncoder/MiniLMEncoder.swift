import Foundation
import LongshotTensor

/// One text's encoding: its token ids, per-token states and sentence embedding.
public struct TextEncoding: Sendable, Equatable {
    /// `[CLS]`, word pieces, `[SEP]` (truncated to the tokenizer's `maxLength`).
    public var tokenIDs: [Int]
    /// The last layer's hidden states, `tokenIDs.count x hiddenSize`: the keys and values of a
    /// cross-attention to the text.
    public var tokenStates: Tensor
    /// The mean of the token states, L2-normalised (sentence-transformers' pooling and `Normalize`).
    public var sentenceEmbedding: [Float]
}

/// The all-MiniLM-L6-v2 sentence encoder: ``WordPieceTokenizer`` plus ``BertModel`` plus mean pooling.
public struct MiniLMEncoder: Sendable {
    public let tokenizer: WordPieceTokenizer
    public let model: BertModel

    /// Loads `config.json`, `vocab.txt` and `model.safetensors` from a model folder. The token limit is
    /// `max_seq_length` of `sentence_bert_config.json` (256 for all-MiniLM-L6-v2), else the position limit.
    /// - Throws: ``TextEncoderError`` or ``SafetensorsError`` naming the file or tensor at fault.
    public init(directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        let config = try BertConfiguration(contentsOf: url.appendingPathComponent("config.json").path)
        var maxLength = config.maxPositions
        if let data = try? Data(contentsOf: url.appendingPathComponent("sentence_bert_config.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let length = object["max_seq_length"] as? Int
        {
            maxLength = min(length, config.maxPositions)
        }
        tokenizer = try WordPieceTokenizer(vocabularyFile: url.appendingPathComponent("vocab.txt").path, maxLength: maxLength)
        let weights = try SafetensorsFile(path: url.appendingPathComponent("model.safetensors").path)
        model = try BertModel(configuration: config, weights: weights)
    }

    /// Loads the model folder that ``MiniLMLocator`` finds.
    public init() throws {
        try self.init(directory: MiniLMLocator.modelDirectory())
    }

    /// Tokenizes and encodes one text.
    public func encode(_ text: String) -> TextEncoding {
        let ids = tokenizer.encode(text)
        let states = model.hiddenStates(tokenIDs: ids)
        return TextEncoding(tokenIDs: ids, tokenStates: states, sentenceEmbedding: Self.meanPooled(states))
    }

    /// The L2-normalised mean of the rows of `states` whose `mask` entry is true (all rows when `nil`).
    public static func meanPooled(_ states: Tensor, mask: [Bool]? = nil) -> [Float] {
        let width = states.shape[1], rows = states.shape[0]
        var sum = [Double](repeating: 0, count: width)
        var used = 0
        states.withUnsafeBufferPointer { s in
            for r in 0..<rows where mask?[r] ?? true {
                used += 1
                for j in 0..<width { sum[j] += Double(s[r * width + j]) }
            }
        }
        let mean = sum.map { $0 / Double(max(used, 1)) }
        let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return mean.map { Float($0 / norm) }
    }
}
