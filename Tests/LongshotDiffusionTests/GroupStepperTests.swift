import LongshotNoise
import LongshotPlanning
import Testing

@testable import LongshotDiffusion
@testable import LongshotProcedural

/// Co-denoises `plan` split into groups of `sizes` windows, exchanging evidence and boundary pieces in
/// memory as the farm does through its coordinator, and returns the video laid out from the groups.
private func grouped(
    _ fixture: ProceduralFixture, plan: WindowPlan, sizes: [Int], steps: Int
) throws -> [Float] {
    let fuser = LatentFuser(plan: plan, layout: fixture.layout)
    let schedule = FlowSchedule(steps: steps)
    let models = try fixture.models(plan)
    let noise = fixture.noise
    let n = fixture.layout.frameSize
    var first = 0
    var groups: [GroupStepper] = sizes.map { size in
        defer { first += size }
        let windows = first..<(first + size)
        let frames = plan.windows[windows.lowerBound].start..<plan.windows[windows.upperBound - 1].end
        return GroupStepper(
            fuser: fuser, schedule: schedule, windows: windows, models: Array(models[windows]),
            latents: Array(noise[(frames.lowerBound * n)..<(frames.upperBound * n)]))
    }
    for _ in 0..<steps {
        let parts = groups.flatMap { $0.evidenceParts() ?? [] }
        let evidence = parts.isEmpty ? nil : totalEvidence(parts)
        let stepped = try groups.map { try $0.advance(evidence: evidence) }
        let pieces = zip(groups, stepped).flatMap { $0.boundaryPieces($1) }
        for g in groups.indices {
            let wanted = Set(groups[g].neighbourWindows)
            try groups[g].fuse(stepped: stepped[g], neighbours: pieces.filter { wanted.contains($0.window) })
        }
    }
    var video = [Float](repeating: .nan, count: fixture.frames * n)
    for g in groups {
        video.replaceSubrange((g.frames.lowerBound * n)..<(g.frames.upperBound * n), with: g.latents)
    }
    return video
}

@Suite("GroupStepper: codenoise split into window groups")
struct GroupStepperTests {
    @Test("any split into groups gives the bits of the one-process CoDenoiser", arguments: [[5], [1, 4], [2, 3], [1, 1, 1, 1, 1], [3, 1, 1]])
    func groupsMatchCoDenoiser(sizes: [Int]) throws {
        let fixture = ProceduralFixture()
        let plan = try WindowPlan(frames: fixture.frames, window: 6, overlap: 3)
        try #require(plan.windows.count == 5, "the plan has \(plan.windows.count) windows")
        let reference = try fixture.codenoise(window: 6, overlap: 3, steps: 5)
        let split = try grouped(fixture, plan: plan, sizes: sizes, steps: 5)
        #expect(split.map(\.bitPattern) == reference.map(\.bitPattern), "groups \(sizes): max difference \(maxDifference(split, reference))")
    }

    @Test("boundary pieces carry only the frames other groups' windows cover")
    func boundaryPiecesAreHalos() throws {
        let fixture = ProceduralFixture()
        let plan = try WindowPlan(frames: fixture.frames, window: 6, overlap: 2)
        try #require(plan.windows.count == 4, "the plan has \(plan.windows.count) windows")
        let fuser = LatentFuser(plan: plan, layout: fixture.layout)
        let models = try fixture.models(plan)
        let windows = 1..<3
        let frames = plan.windows[1].start..<plan.windows[2].end
        let n = fixture.layout.frameSize
        let group = GroupStepper(
            fuser: fuser, schedule: FlowSchedule(steps: 2), windows: windows, models: Array(models[windows]),
            latents: Array(fixture.noise[(frames.lowerBound * n)..<(frames.upperBound * n)]))
        #expect(group.neighbourWindows == [0, 3])
        let pieces = group.boundaryPieces(try group.advance(evidence: nil))
        for piece in pieces {
            let outside = plan.windows.filter { !windows.contains($0.index) }
            for f in piece.frameRange {
                #expect(outside.contains { $0.frames.contains(f) }, "window \(piece.window) sends frame \(f), which no other group needs")
            }
        }
        #expect(pieces.map(\.frames).reduce(0, +) < windows.map { plan.windows[$0].count }.reduce(0, +))
    }

    @Test("a missing neighbour piece is an error naming the frame, not a wrong video")
    func missingPiece() throws {
        let fixture = ProceduralFixture()
        let plan = try WindowPlan(frames: fixture.frames, window: 6, overlap: 3)
        let fuser = LatentFuser(plan: plan, layout: fixture.layout)
        let models = try fixture.models(plan)
        let n = fixture.layout.frameSize
        let frames = plan.windows[0].start..<plan.windows[1].end
        var group = GroupStepper(
            fuser: fuser, schedule: FlowSchedule(steps: 2), windows: 0..<2, models: Array(models[0..<2]),
            latents: Array(fixture.noise[(frames.lowerBound * n)..<(frames.upperBound * n)]))
        let stepped = try group.advance(evidence: nil)
        #expect(throws: FusionError.self) { try group.fuse(stepped: stepped, neighbours: []) }
    }
}
