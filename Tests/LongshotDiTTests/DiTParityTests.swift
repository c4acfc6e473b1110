import Foundation
import LongshotDiT
import LongshotTensor
import Testing

/// The Swift DiT against its PyTorch twin on the committed fixtures (ops/dit/make_fixtures.py).
@Suite struct DiTParityTests {
    struct Cases: Decodable {
        struct Case: Decodable {
            var t: Float
            var frames: Int, height: Int, width: Int
            var text_tokens: Int
        }
        var reference: String
        var cases: [Case]
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/DiT")

    @Test func velocityMatchesTheTwin() throws {
        let model = try DiTModel(directory: Self.folder.path)
        #expect(model.configuration.trained == false)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Self.folder.appendingPathComponent("cases.json")))
        let file = try SafetensorsFile(path: Self.folder.appendingPathComponent("cases.safetensors").path)
        let c = model.configuration
        for (i, item) in cases.cases.enumerated() {
            let latents = try file.tensor("case\(i).latents", shape: [item.frames, c.inChannels, item.height, item.width])
            let text = try file.tensor("case\(i).text", shape: [item.text_tokens, c.textDim])
            let expected = try file.tensor("case\(i).velocity", shape: latents.shape).scalars
            let velocity = try model.velocity(
                latents.scalars, frames: item.frames, height: item.height, width: item.width, t: item.t,
                text: model.textContext(text))
            var diff = 0.0, ref = 0.0, worst: Float = 0
            for (a, b) in zip(velocity, expected) {
                diff += Double(a - b) * Double(a - b)
                ref += Double(b) * Double(b)
                worst = max(worst, abs(a - b) / max(abs(b), 0.1))
            }
            let relative = (diff / ref).squareRoot()
            print("DiT case \(i) vs \(cases.reference): L2-relative \(relative), element-wise (floor 0.1) max \(worst)")
            #expect(relative < 1e-4, "case \(i)")
            #expect(worst < 1e-4, "case \(i)")
        }
    }

    /// The same window gives the same bits on 1, 2 or 3 compute threads (work is cut by shape, not by thread).
    @Test func velocityIsBitIdenticalForAnyThreadCount() throws {
        let model = try DiTModel(directory: Self.folder.path)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Self.folder.appendingPathComponent("cases.json")))
        let file = try SafetensorsFile(path: Self.folder.appendingPathComponent("cases.safetensors").path)
        let item = cases.cases[0], c = model.configuration
        let text = model.textContext(try file.tensor("case0.text", shape: [item.text_tokens, c.textDim]))
        // 2 x 12 x 12 = 288 tokens: three row chunks (the last one short), twelve attention tasks.
        let (frames, height, width) = (2, 24, 24)
        let latents = (0..<frames * c.inChannels * height * width).map { Float(sin(Double($0) * 0.37)) }
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        var velocities: [[Float]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            velocities.append(try model.velocity(latents, frames: frames, height: height, width: width, t: item.t, text: text))
        }
        #expect(velocities[0] == velocities[1])
        #expect(velocities[0] == velocities[2])
    }

    @Test func rejectsAGridThatDoesNotFitThePatch() throws {
        let model = try DiTModel(directory: Self.folder.path)
        let c = model.configuration
        let text = model.textContext(Tensor(shape: [1, c.textDim]))
        #expect(throws: DiTError.self) {
            try model.velocity([Float](repeating: 0, count: 2 * c.inChannels * 5 * 4), frames: 2, height: 5, width: 4, t: 0.5, text: text)
        }
    }

    @Test func misshapenWeightsNameTheTensor() throws {
        var config = try DiTConfiguration(contentsOf: Self.folder.appendingPathComponent("config.json").path)
        config.mlpRatio = 2
        let file = try SafetensorsFile(path: Self.folder.appendingPathComponent("model.safetensors").path)
        #expect(throws: SafetensorsError.shapeMismatch(name: "blocks.0.mlp.fc1.weight", expected: [96, 48], actual: [192, 48])) {
            try DiTModel(configuration: config, weights: file)
        }
    }
}
