import Foundation
import LongshotProtocol
import LongshotTestSupport
import Testing

extension FarmTests {
    /// The neural engine in the farm: `--engine dit --model DIR` jobs on dit workers.
    @Suite("neural engine")
    struct NeuralEngine {
        /// The committed fixture model (width 48, 2 blocks, random weights), by absolute path: the workers'
        /// engine file names it (the coordinator reads no model).
        static let model = ExternalEngineJobs.repository.appendingPathComponent("Tests/Fixtures/DiT").path

        @Test("a DiT job on two workers with 1 and 2 compute threads has the frames of `longshot render --engine dit`")
        func ditJobOnWorkersWithDifferentThreadCounts() async throws {
            // 4 s at 12 fps, 64x48: 24 latent frames of 8x6 patches in 4 windows of 384 tokens (3 row chunks).
            let options = [
                "--duration", "4", "--fps", "12", "--size", "64x48", "--steps", "4", "--window", "8", "--overlap", "2",
                "--engine", "dit", "--model", Self.model,
            ]
            let reference = try ReferenceRenders.video(options)
            try await withFarm("dit") { farm in
                // Workers name the model folder in their engine file; the job names the engine only.
                let engines = farm.scratch.file("engines.yaml")
                try "engines:\n  dit:\n    kind: dit\n    model: \"\(Self.model)\"\n".write(to: engines, atomically: true, encoding: .utf8)
                try farm.startWorker("w1", arguments: ["--engines", engines.path], environment: ["LONGSHOT_THREADS": "1"])
                try farm.startWorker("w2", arguments: ["--engines", engines.path], environment: ["LONGSHOT_THREADS": "2"])
                let id = try farm.submit(farmPrompt, Array(options.dropLast(2)))
                let detail = try await farm.waitForJob(id)
                #expect(detail.windows.count >= 3, "the job should have several windows: \(detail.windows.count)")
                #expect(detail.windows.allSatisfy { $0.state == .done && $0.attempts == 1 }, "\(detail.text())")
                print("dit job: windows rendered by \(detail.windows.map(\.worker))")
                try farm.expectSameFrames(id, as: reference, name: "dit.mp4")
            }
        }
    }
}
