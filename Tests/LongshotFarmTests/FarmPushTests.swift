import Foundation
import LongshotProtocol
import LongshotTestSupport
import Testing

extension FarmTests {
    @Suite("work notifications")
    struct WorkNotifications {
        @Test("an idle worker starts a newly submitted job within 2 s although the coordinator's retry-after is 5 s")
        func idleWorkerWokenBySubmit() async throws {
            let options = FarmHarness.smallJob + ["--engine", "synthetic", "--model", "20"]
            try await withFarm("push", engine: "synthetic", coordinatorArguments: ["--idle-retry-ms", "5000"]) { farm in
                try farm.startWorker("w1", engine: "synthetic")
                try await farm.waitUntil("w1 to subscribe to work notifications", timeout: .seconds(30)) {
                    farm.log("worker-w1.log").contains("subscribed to work notifications")
                }
                // Registered and subscribed: its first poll found no work, so its next poll is ~5 s away.
                // Give the SUB socket a moment to connect.
                try await Task.sleep(for: .seconds(1))
                for round in 1...2 {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let id = try farm.submit(farmPrompt, options)
                    var firstLease: Duration?
                    while clock.now - start < .seconds(10) {
                        let detail = try await farm.detail(id)
                        if detail.windows.contains(where: { $0.state != .pending }) {
                            firstLease = clock.now - start
                            break
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    print("round \(round): submit to first leased window \(firstLease.map { "\($0)" } ?? "over 10 s")")
                    let elapsed = try #require(firstLease, "no window was leased within 10 s")
                    #expect(elapsed < .seconds(2), "submit to first lease took \(elapsed); the retry-after is 5 s")
                    try await farm.waitForJob(id)
                    // The worker polls once more when done, finds nothing, and waits 5 s again.
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
