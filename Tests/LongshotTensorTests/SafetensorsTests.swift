import Foundation
import LongshotTensor
import Testing

@Suite struct SafetensorsTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("longshot-\(UUID().uuidString)-\(name)").path
    }

    @Test func roundTripsAllThreeDtypes() throws {
        var rng = SeededRandom(seed: 12)
        let a = rng.tensor([3, 5], scale: 4), b = rng.tensor([7]), c = rng.tensor([2, 3, 4], scale: 100)
        let path = temporaryPath("round.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(
            [.init(name: "a", tensor: a, dtype: .f32), .init(name: "b.half", tensor: b, dtype: .f16),
             .init(name: "c.brain", tensor: c, dtype: .bf16), .init(name: "empty", tensor: Tensor(shape: [0, 4]))],
            metadata: ["format": "pt"], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.names == ["a", "b.half", "c.brain", "empty"])
        #expect(file.metadata == ["format": "pt"])
        #expect(try file.tensor("a", shape: [3, 5], dtype: .f32) == a)
        let half = try file.tensor("b.half", dtype: .f16)
        #expect(half.scalars == b.scalars.map { Float(Float16($0)) })
        #expect(maxRelativeError(half.scalars, b.scalars) < 1e-3)
        let brain = try file.tensor("c.brain", shape: [2, 3, 4])
        #expect(brain.scalars == c.scalars.map { Float(bitPattern: UInt32(SafetensorsWriter.bfloat16Bits($0)) << 16) })
        #expect(maxRelativeError(brain.scalars, c.scalars) < 1e-2)
        #expect(try file.tensor("empty").shape == [0, 4])
    }

    @Test func mismatchesNameTheTensor() throws {
        let path = temporaryPath("mismatch.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write([.init(name: "layer.weight", tensor: Tensor(shape: [2, 3]), dtype: .f16)], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(throws: SafetensorsError.shapeMismatch(name: "layer.weight", expected: [3, 2], actual: [2, 3])) {
            try file.tensor("layer.weight", shape: [3, 2])
        }
        #expect(throws: SafetensorsError.dtypeMismatch(name: "layer.weight", expected: .f32, actual: .f16)) {
            try file.tensor("layer.weight", dtype: .f32)
        }
        #expect(throws: SafetensorsError.missingTensor(name: "layer.bias", path: path, available: 1)) {
            try file.tensor("layer.bias")
        }
        let message = SafetensorsError.shapeMismatch(name: "layer.weight", expected: [3, 2], actual: [2, 3]).description
        #expect(message == "tensor 'layer.weight': expected shape [3, 2], file has [2, 3]")
    }

    @Test func corruptedHeaderIsRejected() throws {
        let path = temporaryPath("corrupt.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var data = try SafetensorsWriter.encode([.init(name: "w", tensor: Tensor(shape: [4], repeating: 1))])
        data[8] = UInt8(ascii: "#")  // the opening brace of the JSON
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        do {
            _ = try SafetensorsFile(path: path)
        } catch let error as SafetensorsError {
            guard case .invalidHeader(let p, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(p == path && reason.contains("not valid JSON"))
        }
    }

    @Test func headerLengthBeyondFileAndBadOffsetsAreRejected() throws {
        let path = temporaryPath("offsets.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var data = try SafetensorsWriter.encode([.init(name: "w", tensor: Tensor(shape: [4], repeating: 1))])
        data.removeLast(4)  // the data section is now shorter than the entry says
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge.append(contentsOf: Array("{}".utf8))
        try huge.write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path) }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(path: path + ".missing") }
    }
}
