import Foundation
import LongshotDiffusion
import LongshotPlanning
import LongshotTestSupport
import Testing

@testable import LongshotJob

/// Bounded property-based fuzzing of what parses user input (issue 10): the storyboard parser and the
/// spec validation and planning it feeds. `LONGSHOT_FUZZ_ITERATIONS` raises the count (default 5000 each).
@Suite("fuzzing the job parsers")
struct JobFuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["LONGSHOT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 5000

    static let seeds = [
        "shots:\n  - {start: 0, end: 4, prompt: a red ball}\n  - {start: 4, end: 8, prompt: a blue cube}\n",
        "[{\"start\": 0, \"end\": 3, \"prompt\": \"a\"}, {\"start\": 3, \"end\": 6, \"prompt\": \"b\"}]",
        "{\"shots\": [{\"start\": 0, \"end\": 60, \"prompt\": \"a dragon\"}]}",
        "- start: 0\n  end: 2.5\n  prompt: \"x\"\n- start: 2.5\n  end: 5\n  prompt: y\n",
    ]
    static let alphabet = Array("{}[]:,-\"'\n \t0123456789.eE+abcdefghijklmnopqrstuvwxyz&*!|>%@`#\\\u{0}\u{FEFF}é🦊")

    /// A seed storyboard mutated a few times: characters replaced, inserted, deleted, slices repeated.
    static func mutant(_ generator: inout SplitMix) -> String {
        var text = Array(seeds.randomElement(using: &generator)!)
        for _ in 0..<Int.random(in: 1...6, using: &generator) {
            guard !text.isEmpty else { text = Array("x"); continue }
            let at = Int.random(in: 0..<text.count, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: text[at] = alphabet.randomElement(using: &generator)!
            case 1: text.insert(alphabet.randomElement(using: &generator)!, at: at)
            case 2: text.remove(at: at)
            case 3:
                let end = min(text.count, at + Int.random(in: 1...20, using: &generator))
                text.insert(contentsOf: text[at..<end], at: at)
            default: text = Array(text[..<at])
            }
        }
        return String(text)
    }

    @Test("mutated storyboards parse or are refused with one line; what parses validates or is refused, and never crashes")
    func storyboards() throws {
        let seed = UInt64(Date().timeIntervalSince1970)
        var generator = SplitMix(state: seed)
        var parsed = 0
        var refused = 0
        for i in 0..<Self.iterations {
            let text = Self.mutant(&generator)
            do {
                let shots = try Storyboard.parse(text)
                parsed += 1
                if let end = shots.map(\.end).max() { _ = try? Storyboard.validate(shots, duration: end) }
            } catch {
                refused += 1
                let line = error.description
                #expect(!line.isEmpty && !line.contains("\n"), "seed \(seed) case \(i): \(line.debugDescription) for \(text.debugDescription)")
            }
        }
        print("storyboard fuzz (seed \(seed)): \(Self.iterations) cases, \(parsed) parsed, \(refused) refused, 0 crashes")
        #expect(parsed > 0 && refused > 0)
    }

    @Test("random specs, in range and far out of it: validation refuses in one line, or the plan covers every frame exactly")
    func specsAndPlans() throws {
        let seed = UInt64(Date().timeIntervalSince1970) ^ 0x5eed
        var generator = SplitMix(state: seed)
        let layouts = [
            LatentLayout(channels: 3, height: 12, width: 20, temporalFactor: 2, spatialFactor: 4),
            LatentLayout(channels: 16, height: 60, width: 104, temporalFactor: 4, spatialFactor: 8, causal: true, decodeContext: 2),
        ]
        var valid = 0
        for i in 0..<Self.iterations {
            // Mostly values in range, now and then one far out of it.
            func field<T>(_ good: [T], _ bad: [T]) -> T {
                Int.random(in: 0..<12, using: &generator) == 0 ? bad.randomElement(using: &generator)! : good.randomElement(using: &generator)!
            }
            var spec = JobSpec(prompt: field(["a red ball", "a blue cube on grey"], ["", String(repeating: "x", count: 5000), "a\u{0}b"]))
            spec.duration = field([0.5, 1, 2.5, 6, 60], [-1, 0, 601, .nan, .infinity, 1e300])
            spec.fps = field([1, 12, 24, 30], [-1, 0, 61, Int.max])
            spec.width = field([64, 160, 256, 832], [0, 8, 161, 100_000])
            spec.height = field([48, 96, 144, 480], [0, -2, 2160, 99])
            spec.steps = field([1, 2, 8, 50], [0, 1001, -3])
            spec.window = field([2, 8, 21], [0, 1, 1000])
            spec.overlap = field([0, 1, 2, 4], [-1, 8, 20])
            spec.shift = field([1, 3, 5], [0, -1, .nan, 100])
            spec.guidance = field([nil, 1, 5, 30], [0.5, 31, .nan])
            if Int.random(in: 0..<4, using: &generator) == 0 {
                let cut = [0.0, spec.duration / 2, spec.duration / 3, spec.duration, -1].randomElement(using: &generator)!
                spec.shots = [Shot(start: 0, end: cut, prompt: "a"), Shot(start: cut, end: spec.duration, prompt: "b")]
            }
            do {
                try spec.validate(knownEngines: ["procedural"])
            } catch {
                #expect(!error.description.contains("\n"), "seed \(seed) case \(i): \(error.description)")
                continue
            }
            let plan: JobPlan
            do {
                plan = try JobPlan(spec: spec, layout: layouts.randomElement(using: &generator)!)
                try plan.checkLimits()
            } catch {
                #expect(!"\(error)".contains("\n"), "seed \(seed) case \(i): \(error)")
                continue
            }
            valid += 1
            let windows = plan.windows.windows
            #expect(windows.first?.start == 0 && windows.last?.end == plan.latentFrames, "seed \(seed) case \(i)")
            for (a, b) in zip(windows, windows.dropFirst()) { #expect(b.start <= a.end && b.start > a.start, "seed \(seed) case \(i)") }
            let segments = plan.decodeSegments
            #expect(segments.first?.videoFrames.lowerBound == 0 && segments.last?.videoFrames.upperBound == spec.videoFrames)
            _ = plan.seamVideoFrames
        }
        print("spec fuzz (seed \(seed)): \(Self.iterations) cases, \(valid) planned")
        #expect(valid > 0)
    }
}
