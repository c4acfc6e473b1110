import LongshotDiffusion
import LongshotPlanning
import Testing

@testable import LongshotJob

@Suite("JobPlan")
struct JobPlanTests {
    static let layout = LatentLayout(channels: 3, height: 12, width: 20, temporalFactor: 2, spatialFactor: 4)

    static func storyboard() throws -> JobPlan {
        var spec = JobSpec(prompt: "unused")
        spec.duration = 6
        spec.fps = 12
        spec.width = 80
        spec.height = 48
        spec.window = 8
        spec.overlap = 4
        spec.shots = [
            Shot(start: 0, end: 2, prompt: "a red background"), Shot(start: 2, end: 4, prompt: "a green background"),
            Shot(start: 4, end: 6, prompt: "a blue background"),
        ]
        try spec.validate(knownEngines: ["procedural"])
        return try JobPlan(spec: spec, layout: layout)
    }

    @Test("latent frames, windows and times follow the spec")
    func shape() throws {
        let plan = try Self.storyboard()
        #expect(plan.spec.videoFrames == 72)
        #expect(plan.latentFrames == 36)
        #expect(plan.windows.windows.first?.start == 0 && plan.windows.windows.last?.end == 36)
        #expect(plan.time(ofLatentFrame: 0) == 0)
        #expect(plan.time(ofLatentFrame: 6) == 1)
        let request = plan.request(window: 1)
        #expect(request.firstFrame == plan.windows.windows[1].start)
        #expect(request.frames == plan.windows.windows[1].count)
        #expect(request.conditioning.times.count == request.frames)
        #expect(request.conditioning.shotWeights.count == request.frames)
        #expect(request.seed == plan.spec.seed && request.fps == 12)
    }

    @Test("shot weights are 1 inside a shot, blend near a cut and always sum to 1")
    func shotWeights() throws {
        let plan = try Self.storyboard()
        #expect(plan.shotWeights(at: 0) == [1, 0, 0])
        #expect(plan.shotWeights(at: 1) == [1, 0, 0])
        #expect(plan.shotWeights(at: 3) == [0, 1, 0])
        #expect(plan.shotWeights(at: 5) == [0, 0, 1])
        #expect(plan.shotWeights(at: 5.99) == [0, 0, 1])
        let cut = plan.shotWeights(at: 2)
        #expect(abs(cut[0] - 0.5) < 1e-6 && abs(cut[1] - 0.5) < 1e-6 && cut[2] == 0)
        let before = plan.shotWeights(at: 1.9), after = plan.shotWeights(at: 2.1)
        #expect(before[0] > 0.5 && before[1] > 0 && before[1] < 0.5)
        #expect(after[1] > 0.5 && after[0] > 0 && after[0] < 0.5)
        // Outside half a transition of a cut there is no blending.
        #expect(plan.shotWeights(at: 2 - JobPlan.transition / 2 - 0.01) == [1, 0, 0])
        #expect(plan.shotWeights(at: 2 + JobPlan.transition / 2 + 0.01) == [0, 1, 0])
        var previous: Float = 1
        for i in 0...600 {
            let t = Double(i) / 100
            let w = plan.shotWeights(at: t)
            #expect(abs(w.reduce(0, +) - 1) < 1e-6, "t=\(t): \(w)")
            #expect(w.allSatisfy { $0 >= 0 && $0 <= 1 }, "t=\(t): \(w)")
            #expect(w.filter { $0 > 0 }.count <= 2)
            // Shot 1's weight falls monotonically through the first cut.
            if t >= 1.5 && t <= 2.5 {
                #expect(w[0] <= previous)
                previous = w[0]
            }
        }
    }

    @Test("a window's conditioning uses the shot weights at its frames' times")
    func conditioning() throws {
        let plan = try Self.storyboard()
        for (i, window) in plan.windows.windows.enumerated() {
            let c = plan.conditioning(window: i)
            #expect(c.shots.count == 3)
            for (local, f) in window.frames.enumerated() {
                #expect(c.times[local] == plan.time(ofLatentFrame: f))
                #expect(c.shotWeights[local] == plan.shotWeights(at: c.times[local]))
            }
        }
    }

    @Test("seams and transitions are reported in video frames")
    func seamsAndTransitions() throws {
        let plan = try Self.storyboard()
        let seams = plan.seamVideoFrames
        #expect(seams.count == plan.windows.windows.count - 1)
        for (i, seam) in seams.enumerated() {
            let overlap = plan.windows.overlap(after: i)
            #expect(seam.lowerBound == overlap.lowerBound * 2)
            #expect(seam.upperBound <= plan.spec.videoFrames)
        }
        let transitions = plan.transitionVideoFrames
        #expect(transitions.count == 2)
        #expect(transitions[0].contains(24) && transitions[1].contains(48))
    }

    @Test("a job shorter than a window is one window; a bad window is refused")
    func planErrors() throws {
        var spec = JobSpec(prompt: "a ball")
        spec.duration = 1
        spec.shots[0].end = 1
        spec.fps = 12
        #expect(try JobPlan(spec: spec, layout: Self.layout).windows.windows.count == 1)
        spec.overlap = spec.window
        #expect(throws: PlanError.self) { try JobPlan(spec: spec, layout: Self.layout) }
    }
}
