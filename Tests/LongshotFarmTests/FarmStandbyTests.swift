import Foundation
import LongshotClient
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    /// A second coordinator on the same database waits as a standby and takes over when the active one
    /// dies (issue 10); workers and clients dial both addresses and follow.
    @Suite("standby coordinator")
    struct Standby {
        @Test("kill -9 of the active coordinator, five times in a row: the standby takes over within 10 s each time, exactly one listens, every job's frames are identical")
        func standbyTakesOver() async throws {
            let reference = try ReferenceRenders.video(FarmHarness.smallCodenoiseJob)
            try await withFarm("standby", standby: true) { farm in
                try farm.startCoordinator(slot: 1, waitFor: "standby:")
                let standbyOnly = try FarmClient(
                    address: farm.listenAddresses[1].control, token: farm.token, timeout: .seconds(2), tls: farm.clientTLS)
                await #expect(throws: FarmClientError.self, "the standby does not serve") { _ = try await standbyOnly.status() }
                try farm.startWorker("w1")
                try farm.startWorker("w2")
                var active = 0
                var takeovers: [Duration] = []
                for round in 1...5 {
                    let id = try farm.submit(farmPrompt, FarmHarness.smallCodenoiseJob)
                    try await farm.waitUntil("job \(id) to run", poll: .milliseconds(50)) {
                        try await farm.detail(id).state != .queued
                    }
                    let next = 1 - active
                    let standby = try #require(farm.coordinator(slot: next))
                    let killed = ContinuousClock.now
                    farm.killCoordinator(slot: active)
                    try await farm.waitUntil("coordinator \(next) to take over", timeout: .seconds(30), poll: .milliseconds(20)) {
                        farm.log(standby.log.lastPathComponent).contains("listening on")
                    }
                    takeovers.append(ContinuousClock.now - killed)
                    #expect(farm.log(standby.log.lastPathComponent).contains("active: took over"))
                    // The killed one comes back as the new standby.
                    try farm.startCoordinator(slot: active, waitFor: "standby:")
                    active = next
                    let detail = try await farm.waitForJob(id)
                    #expect(detail.groups.count == 2, "\(detail.text())")
                    try farm.expectSameFrames(id, as: reference, name: "standby-\(round).mp4")
                }
                let seconds = takeovers.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
                print("standby takeover after kill -9 (s): " + seconds.map { String(format: "%.2f", $0) }.joined(separator: ", "))
                #expect(seconds.allSatisfy { $0 <= 10 }, "\(seconds)")
            }
        }

        @Test("a coordinator that finds another active on its database stops instead of serving beside it")
        func secondActiveStops() async throws {
            try await withFarm("split-brain", standby: true) { farm in
                // Slot 1 starts as a standby; steal the lock from slot 0 by pausing it while its database
                // session is killed, so both believe they may lead: the first to see the other's lock stops.
                let standby = try farm.startCoordinator(slot: 1, waitFor: "standby:")
                let first = try #require(farm.coordinator(slot: 0))
                kill(first.pid, SIGSTOP)
                let db = try PostgresConnection(farm.databaseURL)
                let ended = try db.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_locks
                    WHERE locktype = 'advisory' AND classid = $1::bigint AND objid = $2::bigint AND granted
                    """, [.int64(LeaderLock.key >> 32), .int64(LeaderLock.key & 0xffff_ffff)])
                #expect(ended.rows.count == 1, "the active coordinator's lock session")
                try await farm.waitUntil("the standby to take over", timeout: .seconds(20), poll: .milliseconds(50)) {
                    farm.log(standby.log.lastPathComponent).contains("listening on")
                }
                kill(first.pid, SIGCONT)
                try await farm.waitUntil("the old active coordinator to stop", timeout: .seconds(20)) { !first.isRunning }
                #expect(first.exitStatus != 0)
                #expect(farm.log(first.log.lastPathComponent).contains("another coordinator became active"))
                _ = try await farm.client().status()
            }
        }
    }
}
