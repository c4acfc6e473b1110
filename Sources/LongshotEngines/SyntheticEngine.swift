import Foundation
import LongshotDiffusion
import LongshotProcedural

/// An engine that does no arithmetic: every step takes a configured time and predicts zero velocity,
/// so the output is the initial noise. For measuring the farm itself (scheduling, leases, transfers).
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

    public func prepare(window: WindowRequest) throws -> any WindowModel { SleepingModel(stepDuration: stepDuration) }

    public func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) -> [[UInt8]] {
        layoutSource.decode(latents, videoFrames: videoFrames, width: width, height: height)
    }

    struct SleepingModel: WindowModel {
        let stepDuration: Duration
        func velocity(_ latents: [Float], t: Float) throws -> [Float] {
            let c = stepDuration.components
            Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
            return [Float](repeating: 0, count: latents.count)
        }
    }
}

public struct SyntheticEngineError: Error, CustomStringConvertible {
    public var model: String
    public var description: String {
        "model: the synthetic engine takes milliseconds per step (0-60000), e.g. --model 8; got '\(model)'"
    }
}
