import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

/// Batched grants, hand-ins, renewals and give-backs (what a worker's PullWork and heartbeat do).
@Suite struct LeaseBatchTests {
    @Test func aBatchGrantTakesWindowsInScheduleOrderWithAnAttemptAndEventEach() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let old = try submit(store, windows: 3)
        let urgent = try submit(store, windows: 2, priority: 9)
        let leases = try store.acquireLeases(workerID: worker, count: 4, ttl: .seconds(30))
        #expect(leases.map { "\($0.jobID == urgent ? "u" : "o")\($0.windowIndex)" } == ["u0", "u1", "o0", "o1"])
        #expect(Set(leases.map(\.leaseID)).count == 4 && leases.allSatisfy { $0.attempt == 1 && $0.spec.contains("a red ball") })
        #expect(try store.attempts(jobID: old).map(\.leaseID) == leases.suffix(2).map(\.leaseID))
        let granted = try store.recentEvents(jobID: old).filter { $0.kind == "lease.granted" }
        #expect(granted.map(\.windowIndex) == [0, 1])
        #expect(try store.job(old)?.state == .running && store.job(urgent)?.state == .running)
        #expect(try store.listWorkers().first?.state == .busy)
        // What is left, then nothing.
        #expect(try store.acquireLeases(workerID: worker, count: 10, ttl: .seconds(30)).map(\.windowIndex) == [2])
        #expect(try store.acquireLeases(workerID: worker, count: 10, ttl: .seconds(30)).isEmpty)
        #expect(throws: FarmStoreError.self) { try store.acquireLeases(workerID: "w-nobody", count: 2, ttl: .seconds(30)) }
    }

    @Test func aDrainedWorkerIsGrantedNothingAndAZeroCountNothing() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        _ = try submit(store, windows: 2)
        #expect(try store.acquireLeases(workerID: worker, count: 0, ttl: .seconds(30)).isEmpty)
        try store.setWorkerDrain(workerID: worker, true)
        #expect(try store.acquireLeases(workerID: worker, count: 2, ttl: .seconds(30)).isEmpty)
        try store.setWorkerDrain(workerID: worker, false)
        #expect(try store.acquireLeases(workerID: worker, count: 2, ttl: .seconds(30)).count == 2)
    }

    @Test func aBatchHandInStoresCurrentLeasesAndRefusesStaleOnes() throws {
        let store = try makeStore()
        let (a, b) = (try register(store, "a"), try register(store, "b"))
        let job = try submit(store, windows: 3)
        let leases = try store.acquireLeases(workerID: a, count: 3, ttl: .seconds(30))
        // Window 2's lease expires and goes to b: a's result for it is stale.
        try store.connection.query(
            "UPDATE windows SET lease_expires_at = now() - interval '1 second' WHERE lease_id = $1", [.text(leases[2].leaseID)])
        #expect(try store.expireLeases() == 1)
        let regranted = try #require(try store.acquireLeases(workerID: b, count: 1, ttl: .seconds(30)).first)
        #expect(regranted.windowIndex == 2 && regranted.attempt == 2)
        let results = leases.map { FinishedWindow(leaseID: $0.leaseID, result: [1, 2, 3, 4], digest: "d\($0.windowIndex)", durationMs: 5) }
        #expect(try store.completeLeases(results) == [.committed, .committed, .staleLease])
        #expect(try store.completeLeases([results[0]]) == [.alreadyDone], "handing in twice stores once")
        let windows = try store.windows(jobID: job)
        #expect(windows.map(\.state) == [.done, .done, .leased])
        #expect(windows[0].resultDigest == "d0" && windows[2].leaseOwner == b)
        #expect(try store.recentEvents(jobID: job).filter { $0.kind == "window.done" }.count == 2)
        #expect(try store.windowsForLeases([regranted.leaseID, leases[0].leaseID], workerID: b).keys.sorted() == [regranted.leaseID])
        #expect(try store.windowsForLeases([regranted.leaseID], workerID: a).isEmpty, "another worker's lease")
    }

    @Test func renewalsExtendOnlyTheWorkersOwnCurrentLeases() throws {
        let store = try makeStore()
        let (a, b) = (try register(store, "a"), try register(store, "b"))
        _ = try submit(store, windows: 3)
        let mine = try store.acquireLeases(workerID: a, count: 2, ttl: .seconds(5))
        let theirs = try store.acquireLeases(workerID: b, count: 1, ttl: .seconds(5))
        _ = try store.completeLeases([FinishedWindow(leaseID: mine[1].leaseID, result: [0], digest: "x", durationMs: 1)])
        let asked = mine.map(\.leaseID) + theirs.map(\.leaseID) + ["l-unknown"]
        let renewed = try store.renewLeases(asked, workerID: a, ttl: .seconds(600))
        #expect(renewed == [mine[0].leaseID])
        let expiry = try #require(try store.windows(jobID: mine[0].jobID)[mine[0].windowIndex].leaseExpiresAt)
        #expect(expiry.timeIntervalSinceNow > 500)
        let beat = try #require(try store.heartbeat(workerID: a, leases: asked, ttl: .seconds(60)))
        #expect(beat.renewed == [mine[0].leaseID] && !beat.drain)
        #expect(try store.heartbeat(workerID: "w-nobody", leases: [], ttl: .seconds(60)) == nil)
    }

    @Test func givenBackLeasesArePendingAtOnceWithTheirAttemptUncounted() throws {
        let store = try makeStore()
        let (a, b) = (try register(store, "a"), try register(store, "b"))
        let job = try submit(store, windows: 3)
        let leases = try store.acquireLeases(workerID: a, count: 3, ttl: .seconds(30))
        // Only a's own leases go back, whoever names them.
        #expect(try store.releaseLeases([leases[1].leaseID, leases[2].leaseID], workerID: b) == 0)
        #expect(try store.releaseLeases([leases[1].leaseID, leases[2].leaseID], workerID: a) == 2)
        let windows = try store.windows(jobID: job)
        #expect(windows.map(\.state) == [.leased, .pending, .pending])
        #expect(windows[1].attempts == 0 && windows[1].notBefore.timeIntervalSinceNow <= 0)
        #expect(try store.attempts(jobID: job).filter { $0.outcome == .cancelled }.count == 2)
        let again = try store.acquireLeases(workerID: b, count: 5, ttl: .seconds(30))
        #expect(again.map(\.windowIndex) == [1, 2] && again.allSatisfy { $0.attempt == 1 })
    }
}

extension LeaseBatchTests {
    @Test func prefetchTakesOnlyAWorkersShareOfWhatIsPendingBeyondTheFarmsSlots() throws {
        let store = try makeStore()
        let (a, b) = (try register(store, "a"), try register(store, "b"))
        let job = try submit(store, windows: 6)
        // 6 pending, 2 slots in the farm: 4 spare, a share of 2 each; a asks for 1 to run and 16 ahead.
        #expect(try store.acquireLeases(workerID: a, count: 17, immediate: 1, ttl: .seconds(30)).count == 3)
        // 3 pending: 1 spare, no whole share: b gets only what it runs now.
        #expect(try store.acquireLeases(workerID: b, count: 17, immediate: 1, ttl: .seconds(30)).count == 1)
        #expect(try store.acquireLeases(workerID: b, count: 16, immediate: 0, ttl: .seconds(30)).isEmpty, "nothing ahead while others may be idle")
        #expect(try store.acquireLeases(workerID: b, count: 1, ttl: .seconds(30)).count == 1, "an idle slot always gets work")
        #expect(try store.windows(jobID: job).filter { $0.state == .pending }.count == 1)
    }
}
