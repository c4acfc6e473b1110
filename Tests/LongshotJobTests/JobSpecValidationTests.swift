import Foundation
import LongshotDiffusion
import Testing

@testable import LongshotJob

@Suite("JobSpec validation")
struct JobSpecValidationTests {
    static let engines = ["procedural", "synthetic"]

    static func spec(_ change: (inout JobSpec) -> Void = { _ in }) -> JobSpec {
        var spec = JobSpec(prompt: "a red ball bouncing on a blue background")
        change(&spec)
        if spec.shots.count == 1 { spec.shots[0].end = spec.duration }
        return spec
    }

    @Test("the defaults and a plain prompt are valid")
    func defaults() throws {
        let spec = Self.spec()
        try spec.validate(knownEngines: Self.engines)
        #expect(spec.videoFrames == 1440)
        #expect(spec.promptText == "a red ball bouncing on a blue background")
        try Self.spec { $0.duration = 600 }.validate(knownEngines: Self.engines)
        try Self.spec { $0.fps = 1; $0.duration = 3 }.validate(knownEngines: Self.engines)
        try Self.spec { $0.width = 32; $0.height = 32 }.validate(knownEngines: Self.engines)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var change: @Sendable (inout JobSpec) -> Void
        var field: String
        var mentions: [String]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "duration 0", change: { $0.duration = 0 }, field: "duration", mentions: ["0"]),
        Case(label: "negative duration", change: { $0.duration = -5 }, field: "duration", mentions: ["-5"]),
        Case(label: "duration 601", change: { $0.duration = 601 }, field: "duration", mentions: ["601", "600"]),
        Case(label: "duration not finite", change: { $0.duration = .infinity }, field: "duration", mentions: []),
        Case(label: "fps 0", change: { $0.fps = 0 }, field: "fps", mentions: ["0", "120"]),
        Case(label: "fps 121", change: { $0.fps = 121 }, field: "fps", mentions: ["121"]),
        Case(label: "fractional frame count", change: { $0.duration = 1.01; $0.fps = 24 }, field: "duration", mentions: ["whole"]),
        Case(label: "odd width", change: { $0.width = 321 }, field: "size", mentions: ["321x192", "even"]),
        Case(label: "odd height", change: { $0.height = 191 }, field: "size", mentions: ["320x191"]),
        Case(label: "too small", change: { $0.width = 16; $0.height = 16 }, field: "size", mentions: ["16x16"]),
        Case(label: "too large", change: { $0.width = 8000 }, field: "size", mentions: ["8000x192"]),
        Case(label: "zero size", change: { $0.width = 0; $0.height = 0 }, field: "size", mentions: ["0x0"]),
        Case(label: "steps 0", change: { $0.steps = 0 }, field: "steps", mentions: ["0"]),
        Case(label: "window 0", change: { $0.window = 0; $0.overlap = 0 }, field: "window", mentions: ["0"]),
        Case(label: "overlap = window", change: { $0.window = 8; $0.overlap = 8 }, field: "overlap", mentions: ["8"]),
        Case(label: "overlap > window", change: { $0.window = 8; $0.overlap = 12 }, field: "overlap", mentions: ["12", "8"]),
        Case(label: "negative overlap", change: { $0.overlap = -1 }, field: "overlap", mentions: ["-1"]),
        Case(label: "shift 0", change: { $0.shift = 0 }, field: "shift", mentions: ["0"]),
        Case(label: "crf 52", change: { $0.crf = 52 }, field: "quality", mentions: ["52"]),
        Case(
            label: "unknown engine", change: { $0.engine = "magic" }, field: "engine",
            mentions: ["magic", "procedural", "synthetic"]),
        Case(
            label: "storyboard gap",
            change: { $0.duration = 6; $0.shots = [Shot(start: 0, end: 2, prompt: "a"), Shot(start: 3, end: 6, prompt: "b")] },
            field: "storyboard", mentions: ["shot 2"]),
        Case(
            label: "empty prompt", change: { $0.shots = [Shot(start: 0, end: 60, prompt: "")] }, field: "storyboard",
            mentions: ["shot 1", "empty"]),
    ]

    @Test("every bad parameter is refused with one line naming it", arguments: cases)
    func refused(_ c: Case) throws {
        let spec = Self.spec(c.change)
        let error = try #require(throws: JobSpecError.self) { try spec.validate(knownEngines: Self.engines) }
        #expect(error.field == c.field, "\(c.label): \(error)")
        for text in c.mentions {
            #expect(error.description.contains(text), "\(c.label): '\(error.description)' does not mention \(text)")
        }
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("\(c.field): "))
    }

    @Test("a storyboard's prompt text covers every shot with its times")
    func promptText() {
        var spec = Self.spec()
        spec.duration = 6
        spec.shots = [Shot(start: 0, end: 3, prompt: "a ball"), Shot(start: 3, end: 6, prompt: "a box")]
        spec.storyboardSource = "board.yaml"
        #expect(spec.promptText == "0.0-3.0: a ball\n3.0-6.0: a box")
    }

    @Test("JobSpec round-trips through Codable")
    func codable() throws {
        let spec = Self.spec { $0.seed = 99; $0.fusion = .independent }
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(JobSpec.self, from: data) == spec)
    }
}
