import Foundation

/// BERT's uncased WordPiece tokenizer: ``BertNormalizer`` then greedy longest-match-first word pieces,
/// wrapped in `[CLS]` … `[SEP]`.
///
/// Special tokens written in the text (`[CLS]`, `[SEP]`, `[MASK]`, `[PAD]`, `[UNK]`, case-sensitive) are
/// kept as those tokens, as Hugging Face's tokenizer does. A word of more than 100 scalars, or one that
/// cannot be covered by vocabulary pieces, becomes `[UNK]`.
///
/// **Past the limit**: ``encode(_:)`` keeps the first `maxLength - 2` word pieces and drops the rest, so the
/// result, `[CLS]` and `[SEP]` included, is at most `maxLength` ids. all-MiniLM-L6-v2 is used with
/// `maxLength` 256 (sentence-transformers' `max_seq_length`); BERT's position table caps it at 512.
public struct WordPieceTokenizer: Sendable {
    /// Token ids by word piece (scalars, so no two distinct pieces compare equal).
    private let vocabulary: [[Unicode.Scalar]: Int]
    /// The most ids ``encode(_:)`` returns, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    public let classifierID: Int, separatorID: Int, unknownID: Int
    private let specialTokens: [(text: String, id: Int)]
    private static let maxWordScalars = 100

    /// A tokenizer over `vocabulary` (token `i` has id `i`).
    /// - Throws: ``TextEncoderError/invalidModel(path:reason:)`` when `[CLS]`, `[SEP]` or `[UNK]` is missing.
    public init(vocabulary tokens: [String], maxLength: Int = 256) throws {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var vocabulary: [[Unicode.Scalar]: Int] = [:]
        for (id, token) in tokens.enumerated() where vocabulary[Array(token.unicodeScalars)] == nil {
            vocabulary[Array(token.unicodeScalars)] = id
        }
        func id(_ token: String) throws -> Int {
            guard let id = vocabulary[Array(token.unicodeScalars)] else {
                throw TextEncoderError.invalidModel(path: "vocab.txt", reason: "no \(token) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        classifierID = try id("[CLS]")
        separatorID = try id("[SEP]")
        unknownID = try id("[UNK]")
        specialTokens = ["[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"].compactMap { token in
            vocabulary[Array(token.unicodeScalars)].map { (token, $0) }
        }
    }

    /// Reads `vocab.txt` (one token per line).
    public init(vocabularyFile path: String, maxLength: Int = 256) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TextEncoderError.invalidModel(path: path, reason: "cannot read the vocabulary")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines, maxLength: maxLength)
    }

    /// The token ids of `text`: `[CLS]`, at most `maxLength - 2` word pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int] {
        var ids = [classifierID]
        let budget = maxLength - 2
        for (segment, special) in splitSpecialTokens(text) {
            if ids.count > budget { break }
            if let special {
                ids.append(special)
                continue
            }
            for word in BertNormalizer.preTokenize(BertNormalizer.normalize(segment)) {
                appendPieces(of: word, to: &ids)
                if ids.count > budget { break }
            }
        }
        if ids.count > budget + 1 { ids.removeLast(ids.count - budget - 1) }
        ids.append(separatorID)
        return ids
    }

    /// The word pieces of one pre-tokenised word, or `[UNK]`.
    private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int]) {
        if word.count > Self.maxWordScalars {
            ids.append(unknownID)
            return
        }
        let mark = ids.count
        var start = word.startIndex
        var candidate: [Unicode.Scalar] = []
        candidate.reserveCapacity(word.count + 2)
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int? = nil
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > word.startIndex { candidate.append(contentsOf: ["#", "#"]) }
                candidate.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeLast(ids.count - mark)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }

    /// The text cut around literal special tokens; a special segment carries its id.
    private func splitSpecialTokens(_ text: String) -> [(String, Int?)] {
        var segments: [(String, Int?)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var earliest: (range: Range<Substring.Index>, id: Int)? = nil
            for (token, id) in specialTokens {
                if let r = rest.range(of: token), earliest.map({ r.lowerBound < $0.range.lowerBound }) ?? true {
                    earliest = (r, id)
                }
            }
            guard let (range, id) = earliest else { break }
            segments.append((String(rest[..<range.lowerBound]), nil))
            segments.append(("", id))
            rest = rest[range.upperBound...]
        }
        segments.append((String(rest), nil))
        return segments
    }
}
