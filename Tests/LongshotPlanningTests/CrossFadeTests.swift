import Testing

@testable import LongshotPlanning

@Suite("CrossFade")
struct CrossFadeTests {
    /// Plans with window length `window` over many (F, O): small enough to check every weight of every window.
    static func plans(window: Int) throws -> [WindowPlan] {
        var plans: [WindowPlan] = []
        for frames in 1...72 {
            for overlap in 0..<window { plans.append(try WindowPlan(frames: frames, window: window, overlap: overlap)) }
        }
        return plans
    }

    @Test("weights lie in [epsilon, 1], are 1 outside overlaps and sum to a positive number per frame", arguments: 1...20)
    func bounds(window: Int) throws {
        for plan in try Self.plans(window: window) {
            let context = "F=\(plan.frames) W=\(plan.windowLength) O=\(plan.minimumOverlap)"
            let weights = CrossFade.weights(for: plan)
            #expect(weights.count == plan.windows.count)
            var totals = [Float](repeating: 0, count: plan.frames)
            var coverage = [Int](repeating: 0, count: plan.frames)
            for window in plan.windows { for f in window.frames { coverage[f] += 1 } }
            var problems: [String] = []
            for (i, window) in plan.windows.enumerated() {
                let w = weights[i]
                guard w.count == window.count else {
                    problems.append("window \(i) has \(w.count) weights")
                    continue
                }
                for (local, f) in window.frames.enumerated() {
                    let value = w[local]
                    if !(value > 0 && value <= 1) { problems.append("weight \(value) at frame \(f) of window \(i)") }
                    if value < CrossFade.epsilon { problems.append("weight \(value) below epsilon at frame \(f)") }
                    if coverage[f] == 1, value != 1 { problems.append("interior frame \(f) of window \(i) weighs \(value)") }
                    totals[f] += value
                }
            }
            #expect(problems.isEmpty, "\(context): \(problems.prefix(5).joined(separator: "; "))")
            #expect(totals.allSatisfy { $0 > 0 }, "\(context): a frame has no weight")
        }
    }

    @Test("neighbours' ramps mirror each other and sum to about 1 across a complete overlap", arguments: 2...20)
    func mirroredRamps(window: Int) throws {
        var checked = 0
        for plan in try Self.plans(window: window) {
            let weights = CrossFade.weights(for: plan)
            let windows = plan.windows
            // Only where ramps are complete: no window's left and right overlaps meet, no frame in three windows.
            let complete = windows.indices.allSatisfy { i in
                let left = i > 0 ? windows[i - 1].end - windows[i].start : 0
                let right = i + 1 < windows.count ? windows[i].end - windows[i + 1].start : 0
                return left + right <= windows[i].count
            }
            guard complete, windows.count > 1 else { continue }
            for i in windows.indices.dropLast() {
                let overlap = plan.overlap(after: i)
                for (p, f) in overlap.enumerated() {
                    let a = weights[i][f - windows[i].start]
                    let b = weights[i + 1][f - windows[i + 1].start]
                    // The mirror image: window i's weight p frames into the overlap is window i+1's p from its end.
                    let mirrored = weights[i + 1][overlap.count - 1 - p]
                    if abs(a - mirrored) >= 1e-6 || abs(a + b - 1) > 2 * CrossFade.epsilon + 1e-6 {
                        Issue.record("F=\(plan.frames) W=\(plan.windowLength) O=\(plan.minimumOverlap) frame \(f): \(a) (mirrored \(mirrored)) + \(b)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 0, "no plan with complete ramps for W=\(window)")
    }

    @Test("the raised-cosine ramp rises from near epsilon to near 1, symmetric about its middle", arguments: 1...32)
    func ramp(length: Int) {
        let values = (0..<length).map { CrossFade.ramp(position: $0, length: length) }
        for p in 0..<length {
            #expect(values[p] >= CrossFade.epsilon && values[p] <= 1)
            #expect(abs(values[p] + values[length - 1 - p] - (1 + CrossFade.epsilon)) < 1e-6)
            if p > 0 { #expect(values[p] > values[p - 1]) }
        }
    }

    @Test("a single window weighs every frame 1")
    func singleWindow() throws {
        let plan = try WindowPlan(frames: 10, window: 16, overlap: 4)
        #expect(CrossFade.weights(for: plan) == [[Float](repeating: 1, count: 10)])
    }

    @Test("a known plan: 20 frames, window 8, overlap 4")
    func knownPlan() throws {
        let plan = try WindowPlan(frames: 20, window: 8, overlap: 4)
        #expect(plan.windows.map(\.start) == [0, 4, 8, 12])
        let w = CrossFade.weights(for: plan)
        #expect(w[0][0..<4].allSatisfy { $0 == 1 })
        #expect(w[3][4..<8].allSatisfy { $0 == 1 })
        // Window 1 ramps up over frames 4..<8 and down over 8..<12, meeting in the middle of its own 8 frames.
        #expect(w[1][0] < w[1][1] && w[1][1] < w[1][2] && w[1][2] < w[1][3])
        #expect(w[1][4] > w[1][5] && w[1][5] > w[1][6] && w[1][6] > w[1][7])
    }
}
