import Foundation
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    @Suite("codenoise")
    struct Codenoise {
        @Test("the farm's codenoise video has the frames of `longshot render --fusion codenoise` with 1, 2 and 4 workers")
        func sameFramesAsRenderWithOneTwoAndFourWorkers() async throws {
            let reference = try ReferenceRenders.video(FarmHarness.smallCodenoiseJob)
            try await withFarm("codenoise-1-2-4") { farm in
                var started = 0
                for count in [1, 2, 4] {
                    while started < count {
                        started += 1
                        try farm.startWorker("w\(started)")
                    }
                    try await farm.waitForWorkers(count)
                    let id = try farm.submit(farmPrompt, FarmHarness.smallCodenoiseJob)
                    let detail = try await farm.waitForJob(id)
                    #expect(detail.groups.count == count, "\(count) worker(s): \(detail.groups.count) groups")
                    #expect(detail.groups.allSatisfy { $0.state == .done && $0.attempts == 1 && $0.step == 8 }, "\(detail.groups)")
                    #expect(detail.groups.map(\.windowCount).reduce(0, +) == UInt32(detail.windows.count))
                    #expect(detail.windows.allSatisfy { $0.state == .done })
                    let workers = Set(detail.groups.map(\.worker))
                    #expect(workers.count == count, "groups ran on \(workers.sorted())")
                    print("\(count) worker(s): groups \(detail.groups.map { "\($0.firstWindow)+\($0.windowCount)@\($0.worker)" })")
                    try farm.expectSameFrames(id, as: reference, name: "codenoise-\(count).mp4")
                }
                // show --json has the groups.
                let jobs = try await farm.client().jobs()
                let last = try #require(jobs.jobs.first)
                let json = try farm.showJSON(last.id)
                let groups = try #require(json["groups"] as? [[String: Any]], "\(json.keys.sorted())")
                #expect(groups.count == 4)
                #expect(groups.allSatisfy { $0["step"] as? Int == 8 && $0["worker"] is String && $0["windows"] != nil }, "\(groups)")
            }
        }
    }
}

extension FarmTests.Codenoise {
    /// The seams named in a Longshot video's metadata ("a-b,c-d", inclusive video frames).
    static func seams(_ video: DecodedVideo) -> [ClosedRange<Int>] {
        (video.info.metadata["longshot_seams"] ?? "").split(separator: ",").compactMap { part in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return ends.count == 2 ? ends[0]...ends[1] : nil
        }
    }

    /// Yellow objects in each seam's first, middle and last frame.
    static func yellowObjects(_ url: URL) throws -> [Int] {
        let video = try DecodedVideo(url)
        let seams = Self.seams(video)
        try #require(seams.count >= 5, "the video names \(seams.count) seams")
        return seams.flatMap { seam in
            [seam.lowerBound, (seam.lowerBound + seam.upperBound) / 2, seam.upperBound].map { i in
                FrameColor.regions(video.frames[i], width: video.info.width, height: video.info.height, minimumArea: 6) { r, g, b in
                    r > 70 && g > 70 && Double(b) < Double(r) * 0.7
                }.count
            }
        }
    }

    /// 20 s at 12 fps, 160x96 (40x24 latents), 12 steps, windows of 12 latent frames overlapping by 4: the
    /// seed's three squares stay apart all along, so every frame shows exactly three when nothing ghosts. Lossless,
    /// so that x264's blocks at CRF 20 cannot split a square in two.
    static let objectsJob = [
        "--duration", "20", "--fps", "12", "--size", "160x96", "--steps", "12", "--window", "12", "--overlap", "4", "--seed", "4",
        "--quality", "0",
    ]

    @Test("a farm codenoise video shows the three squares the prompt asks for on both sides of every seam; independent shows ghosts")
    func objectsAcrossSeams() async throws {
        let prompt = "three small yellow squares drifting slowly on a night sky"
        try await withFarm("codenoise-objects", workers: 2) { farm in
            try await farm.waitForWorkers(2)
            var counts: [String: [Int]] = [:]
            for fusion in ["codenoise", "independent"] {
                let id = try farm.submit(prompt, Self.objectsJob + ["--fusion", fusion])
                try await farm.waitForJob(id)
                let video = try farm.fetch(id, as: "objects-\(fusion).mp4")
                counts[fusion] = try Self.yellowObjects(video)
                let inspect = try farm.cli(["inspect", "--json", video.path])
                let report = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
                let visible = try #require(report["seamsVisible"] as? Bool)
                #expect(visible == (fusion == "independent"), "\(fusion): worst step \(report["worstStepRatio"] ?? "?")")
                print("\(fusion): yellow objects at the seams \(counts[fusion]!), worst seam step \(report["worstStepRatio"] ?? "?")")
            }
            #expect(counts["codenoise"]!.allSatisfy { $0 == 3 }, "codenoise: \(counts["codenoise"]!)")
            #expect(counts["independent"]!.contains { $0 > 3 }, "independent shows no ghost: \(counts["independent"]!)")
        }
    }
}
