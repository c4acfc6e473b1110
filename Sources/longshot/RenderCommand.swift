import ArgumentParser
import Foundation
import LongshotJob
import LongshotEngines
import LongshotRender

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Render a video in this process, without a cluster.")

    @OptionGroup var job: JobOptions

    @Option(name: .shortAndLong, help: "Where to write the MP4.")
    var output: String

    @Flag(help: "Also list prompt words the engine ignored.")
    var verbose = false

    func run() throws {
        let spec: JobSpec
        do {
            spec = try job.spec(knownEngines: EngineCatalog.names)
        } catch {
            throw fail(error.description)
        }
        let url = URL(fileURLWithPath: output)
        if let problem = OutputPath.problem(url) { throw fail(problem) }
        let pipeline: RenderPipeline
        do {
            pipeline = try RenderPipeline(spec: spec, denoiser: try EngineCatalog.denoiser(for: spec))
        } catch {
            throw fail("\(error)")
        }
        if let caveat = EngineCatalog.caveat(for: pipeline.denoiser) { note(caveat) }
        let bar = ProgressLine()
        let summary: RenderSummary
        do {
            summary = try pipeline.render(to: url) { p in bar.update(p.stage.rawValue, done: p.done, total: p.total) }
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
