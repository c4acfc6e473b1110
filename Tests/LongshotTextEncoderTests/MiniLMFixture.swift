import Foundation
import LongshotTensor
import LongshotTextEncoder

/// The committed reference outputs of ops/minilm/make_fixtures.py, and the installed model if any.
enum MiniLMFixture {
    struct Sentence: Decodable {
        var text: String
        var ids: [Int]
        var full_states: Bool
        var note: String
    }

    struct Meta: Decodable {
        var reference: String
        var max_length: Int
        var sentences: [Sentence]
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/MiniLM")

    static let meta: Meta = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("minilm.json"))
        return try! JSONDecoder().decode(Meta.self, from: data)
    }()

    static let tensors: SafetensorsFile = try! SafetensorsFile(path: folder.appendingPathComponent("minilm.safetensors").path)

    /// The installed model folder, or `nil` (the parity tests are then skipped).
    static let modelDirectory: String? = try? MiniLMLocator.modelDirectory()

    static let encoder: MiniLMEncoder? = modelDirectory.map { try! MiniLMEncoder(directory: $0) }

    static var modelInstalled: Bool { modelDirectory != nil }
}

/// `|a - b| / |b|` in the L2 norm: the relative error of a whole vector.
func normwiseRelativeError(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, ref = 0.0
    for (x, y) in zip(a, b) {
        diff += Double(x - y) * Double(x - y)
        ref += Double(y) * Double(y)
    }
    return (diff / max(ref, 1e-30)).squareRoot()
}

/// The largest `|a - b| / max(|b|, floor)` element-wise.
func elementwiseRelativeError(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>, floor: Float) -> Double {
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(abs(y), floor)) }
    return Double(worst)
}
