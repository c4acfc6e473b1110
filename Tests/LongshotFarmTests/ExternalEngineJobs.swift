import Foundation
import LongshotTestSupport

/// The external-engine jobs the farm tests share: ops/external/numpy_engine.py, its misbehaving wrapper
/// Tests/Fixtures/External/flaky_engine.py, and the small job with either.
enum ExternalEngineJobs {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let numpyEngine = repository.appendingPathComponent("ops/external/numpy_engine.py").path
    static let flakyEngine = repository.appendingPathComponent("Tests/Fixtures/External/flaky_engine.py").path

    /// The small job through an external engine (the numpy engine makes 4 video frames per latent frame):
    /// 18 latent frames in windows of 8 overlapping by at least 2, which start at 0, 5 and 10. In a farm the
    /// job names the engine a worker's engine file gives the command of (``engineFile(_:in:)``).
    static let farmJob = FarmHarness.smallJob + ["--engine", "numpy"]

    /// The same job in `longshot render`, with the engine's command (the shorthand for local use).
    static func renderJob(_ command: String) -> [String] {
        FarmHarness.smallJob + ["--engine", "external", "--engine-cmd", command]
    }

    /// The same job with the plain numpy engine: what every faulty run must end up equal to.
    static let reference = renderJob("python3 '\(numpyEngine)'")

    /// Writes an engine file offering `command` as the external engine "numpy"; returns the worker's flags.
    static func engineFile(_ command: String, in farm: FarmHarness) throws -> [String] {
        let file = farm.scratch.file("engines.yaml")
        let quoted = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        try "engines:\n  numpy:\n    kind: external\n    command: \"\(quoted)\"\n".write(to: file, atomically: true, encoding: .utf8)
        return ["--engines", file.path]
    }
}
