import Foundation
import LongshotDiffusion
import LongshotProcedural

/// An engine that does almost no arithmetic: every step takes a configured time and predicts a velocity
/// proportional to the latents, scaled by the frame's place in its window (so overlapping windows disagree
/// and fusion changes the result, as with a real model). For measuring the farm itself (scheduling,
/// leases, transfers) and for fault tests whose output must not be the noise by construction.
///
/// The job's `model` sets the time per step in milliseconds (e.g. "8"); the default is 10 ms.
public struct SyntheticEngine: Denoiser {
    public let stepDuration: Duration
    private let layoutSource = ProceduralEngine()

    public init(stepDuration: Duration = .milliseconds(10)) {
        self.stepDuration = stepDuration
    }

    /// Reads the time per step from a job's `model` field.
    public init(model: String) throws {
        if model.isEmpty {
            self.init()
            return
        }
        guard let ms = Double(model.replacingOccurrences(of: "ms", with: "")), ms >= 0, ms <= 60_000 else {
            throw SyntheticEngineError(model: model)
        }
        self.init(stepDuration: .microseconds(Int64(ms * 1000)))
    }

    public var modelName: String { "synthetic-\(stepDuration)" }

    public func layout(width: Int, height: Int) -> LatentLayout { layoutSource.layout(width: width, height: height) }

    public func prepare(window: WindowRequest) throws -> any WindowModel {
        SleepingModel(stepDuration: stepDuration, frames: window.frames, frameSize: window.layout.frameSize)
    }

    public func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) -> [[UInt8]] {
        layoutSource.decode(latents, videoFrames: videoFrames, width: width, height: height)
    }

    struct SleepingModel: WindowModel {
        let stepDuration: Duration
        let frames: Int
        let frameSize: Int

        /// v = x * 0.5 * (local frame + 1) / frames: cheap, deterministic, different in each window.
        func velocity(_ latents: [Float], t: Float) throws -> [Float] {
            let c = stepDuration.components
            Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
            var v = [Float](repeating: 0, count: latents.count)
            for f in 0..<frames {
                let scale = 0.5 * Float(f + 1) / Float(frames)
                for j in (f * frameSize)..<((f + 1) * frameSize) { v[j] = latents[j] * scale }
            }
            return v
        }
    }
}

public struct SyntheticEngineError: Error, CustomStringConvertible {
    public var model: String
    public var description: String {
        "model: the synthetic engine takes milliseconds per step (0-60000), e.g. --model 8; got '\(model)'"
    }
}
