import Testing

@testable import LongshotPlanning

@Suite("WindowPlan")
struct WindowPlanTests {
    /// Every (F, W, O) with F in 1...200, W in 1...40, O in 0..<W.
    @Test("plans cover [0, F) exactly, with overlaps of at least O", arguments: 1...40)
    func coverage(window: Int) throws {
        for frames in 1...200 {
            for overlap in 0..<window {
                let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
                try check(plan, frames: frames, window: window, overlap: overlap)
            }
        }
    }

    /// Checks one plan with plain comparisons (hundreds of thousands of plans) and reports what is wrong.
    private func check(_ plan: WindowPlan, frames: Int, window: Int, overlap: Int) throws {
        var problems: [String] = []
        let windows = plan.windows
        guard let first = windows.first, let last = windows.last else {
            Issue.record("F=\(frames) W=\(window) O=\(overlap): no windows")
            return
        }
        if plan.frames != frames { problems.append("plan.frames is \(plan.frames)") }
        if first.start != 0 { problems.append("first window starts at \(first.start)") }
        if last.end != frames { problems.append("last window ends at \(last.end)") }
        for (i, w) in windows.enumerated() {
            if w.index != i { problems.append("window \(i) has index \(w.index)") }
            if w.start < 0 || w.end > frames { problems.append("window \(i) is \(w.start)..<\(w.end), past the end") }
            if w.count != min(window, frames) { problems.append("window \(i) has \(w.count) frames") }
        }
        if frames <= window, windows.count != 1 || windows[0].frames != 0..<frames {
            problems.append("a job shorter than one window gives \(windows.map(\.frames))")
        }
        for i in windows.indices.dropLast() {
            let (a, b) = (windows[i], windows[i + 1])
            if b.start <= a.start { problems.append("starts \(a.start), \(b.start) not strictly increasing") }
            // With the first window at 0 and the last ending at F, no gap between neighbours means full coverage.
            if b.start > a.end { problems.append("frames \(a.end)..<\(b.start) are not covered") }
            if a.end - b.start < overlap { problems.append("windows \(i), \(i + 1) overlap by \(a.end - b.start)") }
            if plan.overlap(after: i) != b.start..<a.end { problems.append("overlap(after: \(i)) is \(plan.overlap(after: i))") }
        }
        if !plan.overlap(after: windows.count - 1).isEmpty { problems.append("the last window has an overlap after it") }
        #expect(problems.isEmpty, "F=\(frames) W=\(window) O=\(overlap): \(problems.joined(separator: "; "))")
    }

    @Test("the fewest windows: one fewer would not keep the overlap")
    func fewestWindows() throws {
        for frames in 1...120 {
            for window in 1...24 {
                for overlap in 0..<window {
                    let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
                    let n = plan.windows.count
                    guard n > 1 else { continue }
                    // n - 1 windows of length W with stride W - O reach (n - 2)(W - O) + W < F.
                    if (n - 2) * (window - overlap) + window >= frames {
                        Issue.record("F=\(frames) W=\(window) O=\(overlap): \(n) windows where \(n - 1) would do")
                    }
                }
            }
        }
    }

    @Test("windows(containing:) finds exactly the windows holding a frame")
    func containing() throws {
        let plan = try WindowPlan(frames: 50, window: 12, overlap: 4)
        for f in 0..<50 {
            let found = plan.windows(containing: f)
            #expect(!found.isEmpty)
            #expect(found.allSatisfy { $0.frames.contains(f) })
            #expect(found.count == plan.windows.filter { $0.frames.contains(f) }.count)
        }
    }

    @Test(
        "invalid plans are refused with a message naming the values",
        arguments: [
            (10, 8, 8, PlanError.overlapNotBelowWindow(overlap: 8, window: 8), ["8"]),
            (10, 8, 9, PlanError.overlapNotBelowWindow(overlap: 9, window: 8), ["9", "8"]),
            (10, 0, 0, PlanError.nonPositiveWindow(0), ["0"]),
            (10, -3, 0, PlanError.nonPositiveWindow(-3), ["-3"]),
            (10, 8, -1, PlanError.negativeOverlap(-1), ["-1"]),
            (0, 8, 2, PlanError.nonPositiveFrames(0), ["0"]),
            (-5, 8, 2, PlanError.nonPositiveFrames(-5), ["-5"]),
        ])
    func refused(frames: Int, window: Int, overlap: Int, expected: PlanError, named: [String]) {
        do {
            let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
            Issue.record("F=\(frames) W=\(window) O=\(overlap) was accepted: \(plan.windows)")
        } catch {
            #expect(error == expected)
            for value in named {
                #expect(error.description.contains(value), "'\(error.description)' does not name \(value)")
            }
        }
    }

    @Test("the overlap message names both the overlap and the window length")
    func overlapMessage() {
        #expect(throws: PlanError.overlapNotBelowWindow(overlap: 13, window: 7)) {
            try WindowPlan(frames: 100, window: 7, overlap: 13)
        }
        let text = PlanError.overlapNotBelowWindow(overlap: 13, window: 7).description
        #expect(text.contains("13") && text.contains("7") && text.contains("overlap"))
    }
}
