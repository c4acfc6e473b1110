import Foundation
import LongshotTestSupport
import Testing

@Suite("the command line: bad values are one line, help says what there is")
struct CommandLineTests {
    static func run(_ arguments: [String]) throws -> LongshotProcess.Result {
        let scratch = try ScratchDirectory("longshot-cli")
        defer { scratch.remove() }
        return try LongshotProcess.run(arguments, in: scratch.url, timeout: .seconds(30))
    }

    @Test("a negative, a non-numeric or a missing value is one line naming the option, exit 64", arguments: [
        (["render", "a ball", "--duration", "-5", "-o", "x.mp4"], "longshot: error: --duration: -5 is negative; give a positive value"),
        (["render", "a ball", "--duration", "abc", "-o", "x.mp4"], "longshot: error: The value 'abc' is invalid for '--duration <duration>'"),
        (["submit", "a ball", "--steps", "many"], "longshot: error: The value 'many' is invalid for '--steps <steps>'"),
        (["render", "a ball"], "longshot: error: Missing expected argument '--output <output>'"),
    ])
    func badValueIsOneLine(arguments: [String], line: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status == 64, "exit \(result.status)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix(line), "\(result.stderr)")
        #expect(result.stderr.contains("`longshot \(arguments[0]) --help` lists the options"), "\(result.stderr)")
    }

    @Test("--help lists the built-in engines and says codenoise is the default fusion; help and version still exit 0")
    func helpSaysWhatThereIs() throws {
        for command in ["render", "submit"] {
            let help = try Self.run([command, "--help"])
            #expect(help.status == 0)
            let text = help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
            #expect(text.contains("procedural, synthetic, dit, external, diffusers"), "\(help.stdout)")
            #expect(text.contains("codenoise (overlaps fused after every step; the default)"), "\(help.stdout)")
        }
        let version = try Self.run(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    @Test("a prompt with no shape the procedural engine knows is warned about before rendering; one it can draw is not")
    func unknownPromptIsWarned() throws {
        let tiny = ["--duration", "1", "--fps", "12", "--size", "64x48", "--steps", "2", "-o", "x.mp4"]
        let dragon = try Self.run(["render", "a majestic dragon flying over a castle"] + tiny)
        #expect(dragon.status == 0, "\(dragon.stderr)")
        let warnings = dragon.stderrLines.filter { $0.hasPrefix("warning:") }
        #expect(warnings.count == 1, "\(dragon.stderr)")
        #expect(warnings.first?.contains("knows no shape in \"a majestic dragon flying over a castle\" (words it does not know: majestic, dragon, flying, castle); it draws its default, a white ball") == true,
                "\(warnings)")
        let ball = try Self.run(["render", "a red ball bouncing"] + tiny)
        #expect(ball.status == 0 && !ball.stderr.contains("warning:"), "\(ball.stderr)")
    }

    @Test("inspect --seams: a malformed range and a range past the video's end are one line each")
    func inspectChecksSeams() throws {
        let scratch = try ScratchDirectory("longshot-inspect")
        defer { scratch.remove() }
        let video = scratch.file("v.mp4").path
        let render = try LongshotProcess.run(
            ["render", "a red ball", "--duration", "2", "--fps", "12", "--size", "64x48", "--steps", "2", "-o", video], in: scratch.url)
        try #require(render.status == 0, "\(render.stderr)")
        let past = try LongshotProcess.run(["inspect", video, "--seams", "2-5,900-950"], in: scratch.url)
        #expect(past.status != 0 && past.stderrLines == ["longshot: error: seams: range 900-950 is past the video's end (its 24 frames are 0-23)"],
                "\(past.stderr)")
        let malformed = try LongshotProcess.run(["inspect", video, "--seams", "5-x"], in: scratch.url)
        #expect(malformed.status != 0 && malformed.stderrLines.count == 1 && malformed.stderr.contains("seams: '5-x' is not a frame range"),
                "\(malformed.stderr)")
        let fine = try LongshotProcess.run(["inspect", video, "--seams", "2-5"], in: scratch.url)
        #expect(fine.status == 0, "\(fine.stderr)")
    }

    @Test("render's progress counts window steps in both fusion modes and tells the time left", arguments: ["codenoise", "independent"])
    func progressCountsWindowSteps(fusion: String) throws {
        let result = try Self.run(
            ["render", "a red ball", "--duration", "4", "--fps", "12", "--size", "64x48", "--steps", "8", "--window", "8", "--overlap", "2",
             "--fusion", fusion, "-o", "x.mp4"])
        #expect(result.status == 0, "\(result.stderr)")
        let engine = result.stderrLines.filter { $0.hasPrefix("engine: ") }
        let last = try #require(engine.last)
        let total = try #require(Int(last.dropFirst("engine: ".count).split(separator: "/")[0]))
        #expect(total % 8 == 0 && total >= 16 && last.hasPrefix("engine: \(total)/\(total) window steps (100%)"), "\(engine)")
        #expect(engine.contains { $0.hasSuffix(" left") && $0.contains(", about ") }, "\(engine)")
    }
}
