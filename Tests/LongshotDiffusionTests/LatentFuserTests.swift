import Foundation
import LongshotPlanning
import Testing

@testable import LongshotDiffusion

@Suite("LatentFuser")
struct LatentFuserTests {
    let layout = LatentLayout(channels: 2, height: 3, width: 4, temporalFactor: 1, spatialFactor: 1)

    func video(frames: Int) -> [Float] {
        (0..<(frames * layout.frameSize)).map { Float(sin(Double($0) * 0.113) * 2) }
    }

    @Test("fusing windows cut from one video gives the video back", arguments: [(30, 8, 3), (17, 5, 4), (9, 12, 2), (40, 10, 0)])
    func identicalWindows(frames: Int, window: Int, overlap: Int) throws {
        let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
        let fuser = LatentFuser(plan: plan, layout: layout)
        let x = video(frames: frames)
        let windows = plan.windows.indices.map { fuser.slice(x, window: $0) }
        for (i, w) in plan.windows.enumerated() { #expect(windows[i].count == w.count * layout.frameSize) }
        let fused = fuser.fuse(windows)
        #expect(fused.count == x.count)
        let worst = zip(fused, x).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "max error \(worst)")
    }

    @Test("fuse is the weighted average sum(w_i x_i) / sum(w_i), checked by hand on one frame")
    func weightedAverage() throws {
        let plan = try WindowPlan(frames: 20, window: 8, overlap: 4)  // starts 0, 4, 8, 12
        let fuser = LatentFuser(plan: plan, layout: layout)
        let n = layout.frameSize
        // Window i is the constant value 10 * (i + 1).
        let windows = plan.windows.map { [Float](repeating: Float(10 * ($0.index + 1)), count: $0.count * n) }
        let fused = fuser.fuse(windows)
        let weights = CrossFade.weights(for: plan)
        // Frame 6 lies in window 0 (local 6) and window 1 (local 2).
        let w0 = weights[0][6], w1 = weights[1][2]
        let expected = (w0 * 10 + w1 * 20) / (w0 + w1)
        for j in 0..<n { #expect(abs(fused[6 * n + j] - expected) < 1e-4) }
        #expect(expected > 10 && expected < 20)
        // Frames only window 0 holds keep its value; the last frames keep window 3's.
        #expect(fused[0..<(4 * n)].allSatisfy { $0 == 10 })
        #expect(fused[(16 * n)..<(20 * n)].allSatisfy { abs($0 - 40) < 1e-5 })
        // Across the overlap the fused value moves monotonically from one window to the next.
        let track = (4..<8).map { fused[$0 * n] }
        #expect(track == track.sorted())
    }

    @Test("each frame's shares sum to 1", arguments: [(30, 8, 3), (50, 12, 11), (7, 7, 0)])
    func shares(frames: Int, window: Int, overlap: Int) throws {
        let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
        let fuser = LatentFuser(plan: plan, layout: layout)
        var totals = [Float](repeating: 0, count: frames)
        for (i, w) in plan.windows.enumerated() {
            for (local, f) in w.frames.enumerated() { totals[f] += fuser.shares(window: i)[local] }
        }
        #expect(totals.allSatisfy { abs($0 - 1) < 1e-5 }, "\(totals)")
    }

    @Test("fusion does not depend on which thread computed a window: same inputs, same bits")
    func deterministic() throws {
        let plan = try WindowPlan(frames: 33, window: 9, overlap: 5)
        let fuser = LatentFuser(plan: plan, layout: layout)
        let windows = plan.windows.map { w in (0..<(w.count * layout.frameSize)).map { Float($0 % 17) * 0.37 + Float(w.index) } }
        #expect(fuser.fuse(windows).map(\.bitPattern) == fuser.fuse(windows).map(\.bitPattern))
    }
}
