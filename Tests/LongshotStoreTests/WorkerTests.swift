import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct WorkerTests {
    @Test func registerTwiceKeepsTheIdAndUpdates() throws {
        let store = try makeStore()
        let id = try register(store, "gpu-1")
        #expect(id.hasPrefix("w-"))
        let again = try store.registerWorker(WorkerInfo(name: "gpu-1", host: "other", pid: 7, engine: "dit", slots: 2, version: "2"))
        #expect(again == id)
        let worker = try #require(try store.listWorkers().first)
        #expect(worker.host == "other" && worker.pid == 7 && worker.engine == "dit" && worker.slots == 2)
        #expect(try store.heartbeat(workerID: id))
        #expect(try store.heartbeat(workerID: "w-unknown") == false)
        #expect(throws: FarmStoreError.unknownWorker("w-unknown")) {
            try store.acquireLease(workerID: "w-unknown", ttl: .seconds(1))
        }
    }

    @Test func reRegisteringReleasesTheOldProcessLeases() throws {
        let store = try makeStore()
        let id = try register(store, "gpu-1")
        let job = try submit(store, windows: 1)
        let lease = try #require(try store.acquireLease(workerID: id, ttl: .seconds(30)))
        #expect(try store.listWorkers().first?.currentWindows == [WindowRef(jobID: job, index: 0)])
        _ = try register(store, "gpu-1")
        #expect(try store.windows(jobID: job).first?.state == .pending)
        #expect(try store.completeLease(leaseID: lease.leaseID, result: [1], digest: "x", durationMs: 1) == .staleLease)
        #expect(try store.listWorkers().first?.currentWindows == [])
    }

    @Test func silentWorkersGoOfflineAndLoseTheirLeases() throws {
        let store = try makeStore()
        let (quiet, chatty) = (try register(store, "quiet"), try register(store, "chatty"))
        let job = try submit(store, windows: 2)
        _ = try #require(try store.acquireLease(workerID: quiet, ttl: .seconds(600)))
        _ = try #require(try store.acquireLease(workerID: chatty, ttl: .seconds(600)))
        // Pretend 2 minutes pass with only `chatty` heartbeating.
        try store.connection.query("UPDATE workers SET last_seen_at = now() - interval '2 minutes' WHERE id = $1", [.text(quiet)])
        let offline = try store.markWorkersOffline(silentFor: .seconds(60))
        #expect(offline.map(\.id) == [quiet])
        #expect(offline.first?.state == .offline)
        #expect(try store.markWorkersOffline(silentFor: .seconds(60)).isEmpty)
        let windows = try store.windows(jobID: job)
        #expect(windows.map(\.state) == [.pending, .leased])
        #expect(windows[1].leaseOwner == chatty)
        #expect(try store.attempts(jobID: job).first?.outcome == .expired)
        // It comes back on its next heartbeat.
        #expect(try store.heartbeat(workerID: quiet))
        #expect(try store.listWorkers().first { $0.id == quiet }?.state == .idle)
    }

    @Test func drainingWorkerGetsNoNewLeases() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        try submit(store, windows: 2)
        let held = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(try store.setWorkerDrain(workerID: worker, true))
        #expect(try store.listWorkers().first?.state == .draining)
        #expect(try store.acquireLease(workerID: worker, ttl: .seconds(30)) == nil)
        #expect(try store.completeLease(leaseID: held.leaseID, result: [1], digest: "x", durationMs: 1) == .committed)
        #expect(try store.setWorkerDrain(workerID: worker, false))
        #expect(try store.acquireLease(workerID: worker, ttl: .seconds(30)) != nil)
    }

    @Test func blockedWorkerLosesItsLeasesToOthers() throws {
        let store = try makeStore()
        let bad = try register(store, "bad")
        let good = try register(store, "good")
        let job = try submit(store, windows: 1)
        let held = try #require(try store.acquireLease(workerID: bad, ttl: .seconds(30)))
        #expect(try store.blockWorker(workerID: bad) == 1)
        #expect(try store.blockWorker(workerID: "w-unknown") == nil)
        // Its late result is discarded; the window went back to pending without using up an attempt.
        #expect(try store.completeLease(leaseID: held.leaseID, result: [1], digest: "x", durationMs: 1) == .staleLease)
        #expect(try store.windows(jobID: job).first?.attempts == 0)
        #expect(try store.acquireLease(workerID: bad, ttl: .seconds(30)) == nil)
        let retaken = try #require(try store.acquireLease(workerID: good, ttl: .seconds(30)))
        #expect(retaken.windowIndex == held.windowIndex)
    }
}
