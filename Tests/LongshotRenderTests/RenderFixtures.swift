import Foundation
import LongshotTestSupport

/// Clips rendered once per test process by the real `longshot` executable, shared by the tests that
/// check them. Sizes are tiny and steps few: debug builds are slow and the machine has two cores.
enum RenderFixtures {
    static let prompt = "a red ball bouncing on a blue background"
    /// 4 s at 12 fps, 96x64: 48 video frames, 24 latent frames, windows of 10 with overlap 2 (3 windows).
    static let small = ["--duration", "4", "--fps", "12", "--size", "96x64", "--steps", "6", "--window", "10", "--overlap", "2"]

    struct Clip: Sendable {
        var url: URL
        var run: LongshotProcess.Result
    }

    static let directory: ScratchDirectory = {
        let dir = try! ScratchDirectory("longshot-render")
        atexit { RenderFixtures.directory.remove() }
        return dir
    }()

    static func render(_ name: String, _ arguments: [String]) -> Result<Clip, any Error> {
        Result {
            let url = directory.file(name)
            let run = try LongshotProcess.run(["render"] + arguments + ["-o", url.path], in: directory.url)
            guard run.status == 0 else { throw RenderFailed(name: name, run: run) }
            return Clip(url: url, run: run)
        }
    }

    struct RenderFailed: Error, CustomStringConvertible {
        var name: String
        var run: LongshotProcess.Result
        var description: String { "rendering \(name) exited \(run.status): \(run.stderr)" }
    }

    static let codenoise = render("codenoise-1.mp4", [prompt] + small + ["--seed", "1", "--fusion", "codenoise"])
    static let codenoiseAgain = render("codenoise-1b.mp4", [prompt] + small + ["--seed", "1", "--fusion", "codenoise"])
    static let independent = render("independent-1.mp4", [prompt] + small + ["--seed", "1", "--fusion", "independent"])
    static let independentAgain = render("independent-1b.mp4", [prompt] + small + ["--seed", "1", "--fusion", "independent"])
    static let otherSeed = render("codenoise-2.mp4", [prompt] + small + ["--seed", "2", "--fusion", "codenoise"])

    /// Three shots over 6 s, each on its own background colour; cuts at 2 s and 4 s.
    static let storyboardText = """
        shots:
          - {start: 0, end: 2, prompt: "a white ball on a plain red background"}
          - {start: 2, end: 4, prompt: "a white ball on a green background"}
          - {start: 4, end: 6, prompt: "a white ball on a blue background"}
        """

    static let storyboard: Result<Clip, any Error> = Result {
        let board = directory.file("board.yaml")
        try Data(storyboardText.utf8).write(to: board)
        return try render(
            "storyboard.mp4",
            ["--storyboard", board.path, "--fps", "12", "--size", "96x64", "--steps", "6", "--window", "10", "--overlap", "2",
             "--verbose"]
        ).get()
    }
}
