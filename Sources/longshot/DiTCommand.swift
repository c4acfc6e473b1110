import ArgumentParser
import Foundation
import LongshotDiT

/// `longshot dit ...`: DiT model folders.
struct DiTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit", abstract: "DiT model folders for --engine dit.", subcommands: [DiTInitCommand.self])
}

/// `longshot dit init DIR`: a model folder with reproducible random (untrained) weights.
struct DiTInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a DiT model folder (config.json, model.safetensors) with random, untrained weights.",
        discussion: "The same preset and seed give the same bits. Until a model is trained, --engine dit renders noise.")

    @Argument(help: "The folder to write (created if missing).")
    var directory: String

    @Option(help: "Random seed of the weights.")
    var seed: UInt64 = 1

    @Option(help: "Model size: \(DiTConfiguration.presetNames.joined(separator: " or ")).")
    var preset: String = "tiny"

    func run() throws {
        guard let config = DiTConfiguration.preset(preset) else {
            throw fail("preset: unknown preset '\(preset)'; use \(DiTConfiguration.presetNames.joined(separator: " or "))")
        }
        let url = URL(fileURLWithPath: directory)
        for file in ["config.json", "model.safetensors"] where FileManager.default.fileExists(atPath: url.appendingPathComponent(file).path) {
            throw fail("\(directory) already holds \(file); choose an empty folder")
        }
        do {
            try DiTModel.writeRandomModel(config, seed: seed, to: directory)
        } catch {
            throw fail("\(error)")
        }
        print("wrote \(directory): preset \(preset), seed \(seed), width \(config.hiddenSize), \(config.depth) blocks (untrained)")
    }
}
