import LongshotDiffusion
import LongshotJob
import LongshotProcedural

/// The engines this build knows, by the name `--engine` takes.
public enum EngineCatalog {
    public static var names: [String] { ["procedural", "synthetic"] }

    /// The denoiser for `spec.engine`.
    public static func denoiser(for spec: JobSpec) throws(JobSpecError) -> any Denoiser {
        switch spec.engine {
        case "procedural":
            return ProceduralEngine()
        case "synthetic":
            do {
                return try SyntheticEngine(model: spec.model)
            } catch {
                throw JobSpecError("model", "\(error)")
            }
        default:
            throw JobSpecError("engine", "unknown engine '\(spec.engine)'; known engines: \(names.joined(separator: ", "))")
        }
    }
}
