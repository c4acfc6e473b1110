import Foundation
import LongshotDiffusion
import Testing

@testable import LongshotJob

@Suite("Storyboard")
struct StoryboardTests {
    @Test("a YAML storyboard with a shots key parses")
    func yaml() throws {
        let shots = try Storyboard.parse(
            """
            shots:
              - {start: 0, end: 20, prompt: "a red ball bouncing on a blue background"}
              - start: 20
                end: 40
                prompt: three yellow squares moving left on a night sky
              - {start: 40, end: 60, prompt: "a green ring orbiting at sunset"}
            """)
        #expect(shots.count == 3)
        #expect(shots[0] == Shot(start: 0, end: 20, prompt: "a red ball bouncing on a blue background"))
        #expect(shots[1] == Shot(start: 20, end: 40, prompt: "three yellow squares moving left on a night sky"))
        #expect(shots[2].end == 60)
        try Storyboard.validate(shots, duration: 60)
    }

    @Test("a JSON storyboard, as an object or a bare list, parses")
    func json() throws {
        let object = try Storyboard.parse(
            #"{"shots": [{"start": 0, "end": 2.5, "prompt": "a ball"}, {"start": 2.5, "end": 6, "prompt": "a box"}]}"#)
        #expect(object == [Shot(start: 0, end: 2.5, prompt: "a ball"), Shot(start: 2.5, end: 6, prompt: "a box")])
        let list = try Storyboard.parse(#"[{"start": 0, "end": 1, "prompt": "a ring"}]"#)
        #expect(list == [Shot(start: 0, end: 1, prompt: "a ring")])
    }

    @Test("files load from disk; an unreadable path is a storyboard error naming it")
    func load() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-\(UUID().uuidString).json")
        try Data(#"[{"start": 0, "end": 3, "prompt": "a ball"}]"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try Storyboard.load(url) == [Shot(start: 0, end: 3, prompt: "a ball")])
        let missing = URL(fileURLWithPath: "/nonexistent/longshot/board.yaml")
        let error = try #require(throws: JobSpecError.self) { try Storyboard.load(missing) }
        #expect(error.field == "storyboard")
        #expect(error.message.contains("/nonexistent/longshot/board.yaml"))
    }

    @Test("text that is not a list of shots is refused, naming what is missing")
    func malformed() throws {
        let error = try #require(throws: JobSpecError.self) {
            try Storyboard.parse("shots:\n  - {start: 0, prompt: a ball}\n", source: "board.yaml")
        }
        #expect(error.field == "storyboard")
        #expect(error.message.contains("board.yaml"))
        #expect(throws: JobSpecError.self) { try Storyboard.parse("just some words") }
    }

    @Test("YAML errors keep their line numbers: a wrong value, a missing key, broken syntax, in either form")
    func errorsNameTheLine() throws {
        let cases: [(String, String)] = [
            ("shots:\n  - start: 0\n    end: 5\n    prompt: a ball\n  - start: 5\n    end: soon\n    prompt: a box\n",
             "line 6: Expected to decode Double but found Scalar instead. at .shots[1].end"),
            ("- start: 0\n  end: 5\n  prompt: a ball\n- start: 5\n  prompt: a box\n", "line 4: missing 'end' at [1]"),
            ("shots:\n  - start: 0\n    end: 5\n    prompt: \"a ball\n", "line 5, column 1: not YAML: scanner: while scanning a quoted scalar in line 4, column 13"),
        ]
        for (text, expected) in cases {
            let error = try #require(throws: JobSpecError.self) { try Storyboard.parse(text, source: "board.yaml") }
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    static let a = Shot(start: 0, end: 2, prompt: "a red ball")
    static let b = Shot(start: 2, end: 4, prompt: "a blue box")
    static let c = Shot(start: 4, end: 6, prompt: "a green ring")

    @Test(
        "shots that do not tile the duration are refused, naming the shot",
        arguments: [
            ([a, Shot(start: 2.5, end: 4, prompt: "a blue box"), c], "shot 2", "gap"),
            ([a, Shot(start: 1.5, end: 4, prompt: "a blue box"), c], "shot 2", "overlap"),
            ([a, b, Shot(start: 4, end: 7, prompt: "a green ring")], "shot 3", "past the duration"),
            ([Shot(start: 1, end: 2, prompt: "late"), b, c], "shot 1", "gap"),
            ([a, b], "4.0 s", "not covered"),
            ([a, Shot(start: 2, end: 4, prompt: "   "), c], "shot 2", "empty prompt"),
            ([a, Shot(start: 2, end: 2, prompt: "zero length"), c], "shot 2", "not after its start"),
        ])
    func invalid(shots: [Shot], names: String, says: String) throws {
        let error = try #require(throws: JobSpecError.self) { try Storyboard.validate(shots, duration: 6) }
        #expect(error.field == "storyboard")
        #expect(error.message.contains(names), "'\(error.message)' should name \(names)")
        #expect(error.message.contains(says), "'\(error.message)' should say \(says)")
    }

    @Test("no shots at all is refused")
    func empty() {
        #expect(throws: JobSpecError.self) { try Storyboard.validate([], duration: 6) }
    }

    @Test("shots meeting within floating-point tolerance are accepted")
    func tolerance() throws {
        try Storyboard.validate(
            [Shot(start: 0, end: 0.1 + 0.2, prompt: "a"), Shot(start: 0.3, end: 6, prompt: "b")], duration: 6)
    }
}
