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
}
