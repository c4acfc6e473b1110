import Foundation
import LongshotTensor

extension DiTModel {
    /// Every tensor a model folder holds (DiT and decoder), with its shape, under the twin's names.
    public static func tensorShapes(_ c: DiTConfiguration) -> [(name: String, shape: [Int])] {
        let d = c.hiddenSize
        var out: [(String, [Int])] = []
        func linear(_ name: String, _ outF: Int, _ inF: Int) {
            out.append((name + ".weight", [outF, inF]))
            out.append((name + ".bias", [outF]))
        }
        linear("patch_embed", d, c.patchDim)
        linear("time_embed.0", d, c.frequencyDim)
        linear("time_embed.2", d, d)
        linear("text_embed.0", d, c.textDim)
        linear("text_embed.2", d, d)
        for i in 0..<c.depth {
            let p = "blocks.\(i)."
            linear(p + "modulation", 6 * d, d)
            linear(p + "attn.qkv", 3 * d, d)
            out.append((p + "attn.norm_q.weight", [d]))
            out.append((p + "attn.norm_k.weight", [d]))
            linear(p + "attn.proj", d, d)
            out.append((p + "cross_norm.weight", [d]))
            out.append((p + "cross_norm.bias", [d]))
            linear(p + "cross.q", d, d)
            linear(p + "cross.kv", 2 * d, d)
            linear(p + "cross.proj", d, d)
            linear(p + "mlp.fc1", c.mlpDim, d)
            linear(p + "mlp.fc2", d, c.mlpDim)
        }
        linear("final_modulation", 2 * d, d)
        linear("final_proj", c.patchDim, d)
        linear("decoder", c.temporalFactor * c.spatialFactor * c.spatialFactor * 3, c.inChannels)
        return out
    }

    /// Writes a model folder with random weights (`config.json` with `trained: false`, `model.safetensors`),
    /// a pure function of `configuration` and `seed`: PyTorch's default `nn.Linear` initialisation
    /// (uniform in ±1/√in), norm weights 1 and biases 0. For running `--engine dit` before a model is trained.
    public static func writeRandomModel(_ configuration: DiTConfiguration, seed: UInt64, to directory: String) throws {
        var config = configuration
        config.trained = false
        if let problem = config.validationProblem { throw DiTError.invalidConfiguration(path: directory, reason: problem) }
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: url.appendingPathComponent("config.json"))
        var state = seed
        func uniform() -> Float {  // SplitMix64 -> [-1, 1)
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float(Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1)
        }
        var items: [SafetensorsWriter.Item] = []
        let shapes = tensorShapes(config)
        for (index, (name, shape)) in shapes.enumerated() {
            let count = shape.reduce(1, *)
            let scalars: [Float]
            if name.hasSuffix("norm_q.weight") || name.hasSuffix("norm_k.weight") || name.hasSuffix("cross_norm.weight") {
                scalars = Array(repeating: 1, count: count)
            } else if name.hasSuffix("cross_norm.bias") {
                scalars = Array(repeating: 0, count: count)
            } else {
                // A linear layer's weight and bias share the weight's fan-in.
                let fanIn = shape.count == 2 ? shape[1] : shapes[index - 1].shape[1]
                let bound = 1 / Float(fanIn).squareRoot()
                scalars = (0..<count).map { _ in uniform() * bound }
            }
            items.append(.init(name: name, tensor: Tensor(shape: shape, scalars: scalars)))
        }
        try SafetensorsWriter.write(items, metadata: ["generator": "LongshotDiT.writeRandomModel", "seed": "\(seed)"],
                                    to: url.appendingPathComponent("model.safetensors").path)
    }
}
