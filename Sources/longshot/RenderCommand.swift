import ArgumentParser
import Foundation
import LongshotJob
import LongshotEngines
import LongshotRender
import LongshotDiffusion
import LongshotTensor

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Render a video in this process, without a cluster.")

    @OptionGroup var job: JobOptions

    @Option(name: .shortAndLong, help: "Where to write the MP4.")
    var output: String

    @Flag(help: "Also list prompt words the engine ignored.")
    var verbose = false

    @Option(help: "An engine file (as workers take: named engines with their model folders, devices, commands); --engine then names one of its engines.")
    var engines: String?

    @Option(name: .customLong("save-latents"), help: "Also write the initial noise and the denoised latents ([frames, C, H, W], f32) to this safetensors file.")
    var saveLatents: String?

    /// The engine file's engines, or the one the shorthand `--engine KIND [--model M | --engine-cmd C]` means.
    func makeRoster() throws(JobSpecError) -> EngineRoster {
        if let engines { return EngineRoster(try EngineFile.load(engines)) }
        let model = job.engineCommand ?? job.model
        guard let entry = EngineEntry.shorthand(engine: job.engine, model: model) else {
            throw JobSpecError(
                "engine", "unknown engine '\(job.engine)'; built-in engines: \(EngineEntry.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (or name one of --engines FILE)")
        }
        return EngineRoster([entry])
    }

    func run() throws {
        let draft: JobSpec
        let roster: EngineRoster
        do {
            // The engine starts from a draft; everything that does not depend on its defaults is checked first,
            // so a bad option costs no model load (the window and overlap are checked once the engine says).
            roster = try makeRoster()
            draft = try job.spec(knownEngines: roster.names, validate: false)
            _ = try job.spec(knownEngines: roster.names, engineDefaults: EngineDefaults(window: .max, overlap: 0))
        } catch {
            throw fail(error.description)
        }
        let url = URL(fileURLWithPath: output)
        if let problem = OutputPath.problem(url) { throw fail(problem) }
        let pipeline: RenderPipeline
        let spec: JobSpec
        do {
            // With the shorthand the entry holds the model folder or command: the job names no model id.
            var named = draft
            if engines == nil, draft.engine != "synthetic" { named.model = "" }
            let denoiser = try roster.denoiser(for: named)
            spec = try job.spec(knownEngines: roster.names, engineDefaults: denoiser.defaults)
            pipeline = try RenderPipeline(spec: spec, denoiser: denoiser)
            try pipeline.plan.checkLimits()
        } catch {
            throw fail("\(error)")
        }
        if let caveat = EngineCatalog.caveat(for: pipeline.denoiser) { note(caveat) }
        PromptWarnings.lines(for: spec).forEach(note)
        let bar = ProgressLine()
        let summary: RenderSummary
        do {
            summary = try pipeline.render(to: url, progress: { p in bar.update(p.stage.rawValue, done: p.done, total: p.total, unit: p.unit) }) {
                fused in
                guard let saveLatents else { return }
                try LatentsFile.write(pipeline: pipeline, fused: fused, to: saveLatents)
            }
        } catch {
            throw fail("\(error)")
        }
        if verbose, !summary.ignoredWords.isEmpty {
            note("ignored prompt words: \(summary.ignoredWords.joined(separator: ", "))")
        }
        print(SummaryText.render(summary, output: url.path))
    }
}

/// Checks before any work that the output can be written.
enum OutputPath {
    static func problem(_ url: URL) -> String? {
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "output: directory \(directory) does not exist"
        }
        // Create a file there, as the encoder will: access(2) says yes to root even where writes fail.
        let probe = url.deletingLastPathComponent().appendingPathComponent(".longshot-probe-\(getpid())").path
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            return "output: cannot write in \(directory): \(String(cString: strerror(errno)))"
        }
        close(fd)
        unlink(probe)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "output: \(url.path) is a directory"
        }
        // The video is written beside the output and renamed over it: never over a device, pipe or socket.
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            return "output: \(url.path) exists and is not a regular file (a device, pipe, socket or link); give a file path"
        }
        return nil
    }
}

enum SummaryText {
    static func render(_ s: RenderSummary, output: String) -> String {
        let stages = RenderStage.allCases.compactMap { stage in
            s.seconds[stage].map { String(format: "%@ %.2f s", stage.rawValue, $0) }
        }.joined(separator: ", ")
        return """
            wrote \(output) (\(s.outputBytes) bytes)
            frames \(s.videoFrames) (latent \(s.latentFrames)), windows \(s.windows)
            wall \(String(format: "%.2f", s.total)) s: \(stages)
            """
    }
}

/// `render --save-latents`: the job's initial noise and its denoised latents, for comparing engines.
enum LatentsFile {
    static func write(pipeline: RenderPipeline, fused: [Float], to path: String) throws {
        let layout = pipeline.plan.layout
        let shape = [pipeline.plan.latentFrames, layout.channels, layout.height, layout.width]
        let initial = pipeline.noise(frames: 0..<pipeline.plan.latentFrames)
        try SafetensorsWriter.write(
            [
                .init(name: "initial", tensor: Tensor(shape: shape, scalars: initial)),
                .init(name: "final", tensor: Tensor(shape: shape, scalars: fused)),
            ],
            metadata: ["steps": String(pipeline.spec.steps), "shift": String(pipeline.spec.shift)], to: path)
    }
}
