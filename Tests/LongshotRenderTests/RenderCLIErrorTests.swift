import Foundation
import LongshotTestSupport
import Testing

/// Every bad input through the real executable: a non-zero exit and one line on stderr naming the problem.
@Suite("longshot render refuses bad input")
struct RenderCLIErrorTests {
    /// Cheap settings, so a check that wrongly passed validation still finishes fast.
    static let cheap = ["--fps", "12", "--size", "64x48", "--steps", "2", "--window", "8", "--overlap", "2"]

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var arguments: [String]
        var mentions: [String]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "duration 0", arguments: ["a ball", "--duration", "0"] + cheap, mentions: ["duration", "0"]),
        Case(label: "duration 601", arguments: ["a ball", "--duration", "601"] + cheap, mentions: ["duration", "601", "600"]),
        Case(label: "negative duration", arguments: ["a ball", "--duration=-3"] + cheap, mentions: ["duration", "-3"]),
        Case(
            label: "odd size 320x191", arguments: ["a ball", "--duration", "1", "--size", "320x191", "--steps", "2"],
            mentions: ["size", "320x191"]),
        Case(label: "size abc", arguments: ["a ball", "--duration", "1", "--size", "abc"], mentions: ["size", "abc"]),
        Case(label: "size too small", arguments: ["a ball", "--duration", "1", "--size", "8x8"], mentions: ["size", "8x8"]),
        Case(label: "fps 0", arguments: ["a ball", "--duration", "1", "--fps", "0"], mentions: ["fps", "0"]),
        Case(label: "fps 500", arguments: ["a ball", "--duration", "1", "--fps", "500"], mentions: ["fps", "500"]),
        Case(
            label: "unknown engine", arguments: ["a ball", "--duration", "1", "--engine", "magic"] + cheap,
            mentions: ["engine", "magic", "procedural"]),
        Case(
            label: "unknown fusion", arguments: ["a ball", "--duration", "1", "--fusion", "blend"] + cheap,
            mentions: ["fusion", "blend"]),
        Case(label: "steps 0", arguments: ["a ball", "--duration", "1", "--steps", "0"], mentions: ["steps", "0"]),
        Case(
            label: "overlap not below window", arguments: ["a ball", "--duration", "1", "--window", "4", "--overlap", "4"],
            mentions: ["overlap", "4"]),
        Case(label: "empty prompt", arguments: ["  ", "--duration", "1"] + cheap, mentions: ["prompt"]),
        Case(
            label: "window over the message limit", arguments: ["a ball", "--duration", "600", "--size", "3840x2160"],
            mentions: ["window", "142 MiB", "60 MiB"]),
        Case(
            label: "results over the stored maximum",
            arguments: ["a ball", "--duration", "600", "--size", "1920x1080", "--window", "8", "--overlap", "2"],
            mentions: ["size", "GiB", "8.0 GiB"]),
        Case(label: "prompt too long", arguments: [String(repeating: "a", count: 5000), "--duration", "1"] + cheap, mentions: ["prompt", "5000 bytes", "4096"]),
        Case(label: "no prompt", arguments: ["--duration", "1"] + cheap, mentions: ["prompt"]),
        Case(
            label: "unreadable storyboard", arguments: ["--storyboard", "/nonexistent/longshot/board.yaml"] + cheap,
            mentions: ["storyboard", "/nonexistent/longshot/board.yaml"]),
        Case(
            label: "output directory missing", arguments: ["a ball", "--duration", "1"] + cheap,
            mentions: ["output", "/nonexistent-longshot-dir"]),
    ]

    static func expectOneErrorLine(_ run: LongshotProcess.Result, _ label: String, mentions: [String]) {
        #expect(run.status != 0, "\(label): exit status 0")
        let lines = run.stderrLines
        #expect(lines.count == 1, "\(label): stderr is \(lines)")
        let line = lines.first ?? ""
        #expect(line.hasPrefix("longshot: error:"), "\(label): \(line)")
        for text in mentions { #expect(line.contains(text), "\(label): '\(line)' does not mention \(text)") }
    }

    @Test("bad input gives one line on stderr and a non-zero exit", arguments: cases)
    func refused(_ c: Case) throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let output = c.label == "output directory missing" ? "/nonexistent-longshot-dir/out.mp4" : dir.file("out.mp4").path
        let run = try LongshotProcess.run(["render"] + c.arguments + ["-o", output], in: dir.url)
        Self.expectOneErrorLine(run, c.label, mentions: c.mentions)
        #expect(try dir.contents().filter { !$0.hasPrefix(".std") } == [], "\(c.label): files left behind")
    }

    @Test("a storyboard with a gap is refused, naming the shot")
    func storyboardGap() throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let board = dir.file("gap.json")
        try Data(
            #"[{"start": 0, "end": 2, "prompt": "a red ball"}, {"start": 3, "end": 6, "prompt": "a blue box"}]"#.utf8
        ).write(to: board)
        let run = try LongshotProcess.run(["render", "--storyboard", board.path] + Self.cheap + ["-o", dir.file("out.mp4").path], in: dir.url)
        Self.expectOneErrorLine(run, "storyboard gap", mentions: ["storyboard", "gap", "shot 2", "a blue box"])
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.mp4").path))
    }

    @Test("a storyboard that is not a list of shots is refused")
    func storyboardMalformed() throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let board = dir.file("bad.yaml")
        try Data("shots:\n  - {start: 0, prompt: a ball}\n".utf8).write(to: board)
        let run = try LongshotProcess.run(["render", "--storyboard", board.path] + Self.cheap + ["-o", dir.file("out.mp4").path], in: dir.url)
        Self.expectOneErrorLine(run, "malformed storyboard", mentions: ["storyboard", "end"])
    }

    @Test("a NUL in a storyboard's prompt is one line (a command line cannot carry one)")
    func nulInStoryboard() throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let board = dir.file("board.json")
        try #"{"shots": [{"start": 0, "end": 1, "prompt": "a red\u0000ball"}]}"#.write(to: board, atomically: true, encoding: .utf8)
        let run = try LongshotProcess.run(["render", "--storyboard", board.path] + Self.cheap + ["-o", dir.file("out.mp4").path], in: dir.url)
        #expect(run.status != 0)
        #expect(run.stderrLines == ["longshot: error: prompt: the prompt contains a NUL character (U+0000)"], "\(run.stderr)")
    }

    @Test("-o onto a device or a pipe is one line, and the device is left alone (as root this replaced /dev/null)")
    func outputOntoSpecialFiles() throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let fifo = dir.file("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for output in ["/dev/null", fifo] {
            let run = try LongshotProcess.run(["render", "a ball", "--duration", "1"] + Self.cheap + ["-o", output], in: dir.url)
            #expect(run.status != 0)
            #expect(run.stderrLines == ["longshot: error: output: \(output) exists and is not a regular file (a device, pipe, socket or link); give a file path"], "\(run.stderr)")
        }
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/null is still a device")
    }

    @Test("an unwritable output directory fails with FFmpeg's message and leaves nothing behind")
    func unwritableOutput() throws {
        // Root passes access(2) checks; sysfs still refuses to create files, so the encoder's open fails there.
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        let output = "/sys/longshot-cli-test-\(getpid()).mp4"
        let run = try LongshotProcess.run(["render", "a ball", "--duration", "1"] + Self.cheap + ["-o", output], in: dir.url)
        #expect(run.status != 0)
        let errors = run.stderrLines.filter { $0.hasPrefix("longshot: error:") }
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(run.stderrLines.last == errors.first, "the error is the last line: \(run.stderr)")
        let line = errors.first ?? ""
        // As root the encoder's open fails (FFmpeg's "Permission denied"); otherwise the check before rendering does.
        let named = ["denied", "not permitted", "not writable"].contains { line.contains($0) }
        #expect(line.contains("/sys") && named, "\(line)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/sys").filter { $0.contains("longshot-cli-test") }.isEmpty)
    }

    @Test("inspect refuses a file that is not a video, ending with one error line that names it")
    func inspectNotAVideo() throws {
        let dir = try ScratchDirectory("longshot-cli")
        defer { dir.remove() }
        try Data("no video here".utf8).write(to: dir.file("x.mp4"))
        let run = try LongshotProcess.run(["inspect", dir.file("x.mp4").path], in: dir.url)
        #expect(run.status != 0)
        // libavformat logs its own diagnosis ("moov atom not found") at error level before Longshot's line.
        let errors = run.stderrLines.filter { $0.hasPrefix("longshot: error:") }
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(run.stderrLines.last == errors.first)
        #expect(errors.first?.contains(dir.file("x.mp4").path) == true, "\(run.stderr)")
        let missing = try LongshotProcess.run(["inspect", dir.file("missing.mp4").path], in: dir.url)
        Self.expectOneErrorLine(missing, "inspect missing file", mentions: ["missing.mp4", "No such file"])
    }
}
