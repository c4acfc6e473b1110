import Foundation
import LongshotDiT
import LongshotDiffusion
import LongshotExternal
import LongshotJob
import LongshotProcedural

/// The engines this build knows, by the name `--engine` takes.
public enum EngineCatalog {
    public static var names: [String] { ["procedural", "synthetic", "dit", "external", "diffusers"] }

    /// The denoiser for `spec.engine` named by its kind, with `spec.model` as its model folder, command or
    /// step time (the shorthand `--engine KIND --model M` of ``EngineEntry/shorthand(engine:model:)``).
    public static func denoiser(for spec: JobSpec) throws(JobSpecError) -> any Denoiser {
        guard let entry = EngineEntry.shorthand(engine: spec.engine, model: spec.model) else {
            throw JobSpecError("engine", "unknown engine '\(spec.engine)'; known engines: \(names.joined(separator: ", "))")
        }
        return try denoiser(for: entry, spec: spec)
    }

    /// The denoiser of a configured engine (an engine file's entry) for `spec`'s frame size.
    public static func denoiser(for entry: EngineEntry, spec: JobSpec) throws(JobSpecError) -> any Denoiser {
        switch entry.kind {
        case .procedural:
            return ProceduralEngine()
        case .synthetic:
            do {
                return try SyntheticEngine(model: entry.model ?? spec.model)
            } catch {
                throw JobSpecError("model", "\(error)")
            }
        case .dit:
            return try ditEngine(directory: entry.model ?? "")
        case .external:
            // An engine file's entry always has a command; only the shorthand can lack one.
            guard let command = entry.command, !command.isEmpty else {
                throw JobSpecError("engine-cmd", "--engine external needs --engine-cmd \"CMD\" (see docs/external-engine.md)")
            }
            do {
                return try ExternalEngine(command: command, width: spec.width, height: spec.height)
            } catch {
                throw JobSpecError("engine", "engine \(entry.name): \(error.description)")
            }
        case .diffusers:
            return try DiffusersEngine.start(
                folder: entry.model ?? "", width: spec.width, height: spec.height,
                options: .init(device: entry.device, dtype: entry.dtype, decodeContext: entry.decodeContext))
        }
    }

    /// A line for standard error about what the denoiser will produce, e.g. that its weights are untrained.
    public static func caveat(for denoiser: any Denoiser) -> String? {
        if let dit = denoiser as? DiTEngine, !dit.isTrained {
            return "note: \(dit.modelName): the weights are untrained (config.json has trained: false), so the video is noise"
        }
        return nil
    }

    /// Loads a `dit` model folder; every problem is one line naming the folder and the fix.
    static func ditEngine(directory: String) throws(JobSpecError) -> DiTEngine {
        let hint = "make one with `longshot dit init DIR` or use Tests/Fixtures/DiT"
        guard !directory.isEmpty else { throw JobSpecError("model", "--engine dit needs --model DIR, a DiT model folder; \(hint)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw JobSpecError("model", "DiT model folder \(directory) does not exist; \(hint)")
        }
        for file in ["config.json", "model.safetensors"] {
            guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent(file).path) else {
                throw JobSpecError("model", "DiT model folder \(directory) has no \(file); \(hint)")
            }
        }
        do {
            return try DiTEngine(directory: directory)
        } catch {
            throw JobSpecError("model", "\(error)")
        }
    }
}
