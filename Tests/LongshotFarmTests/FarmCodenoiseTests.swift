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
