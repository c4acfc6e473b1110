import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct LeaseTests {
    @Test func concurrentAcquirersNeverShareAWindow() throws {
        let url = try TestPostgres.freshDatabase()
        let setup = try FarmStore(url: url)
        let jobs = [try submit(setup, windows: 120), try submit(setup, windows: 80, priority: 5)]
        let workers = try (0..<4).map { try register(setup, "worker-\($0)") }
        let granted = Locked<[WindowRef]>([])
        let failures = Locked<[String]>([])
        runOnThreads(4) { i in
            do {
                let store = try FarmStore(url: url)
                while let lease = try store.acquireLease(workerID: workers[i], ttl: .seconds(60)) {
                    granted.withLock { $0.append(WindowRef(jobID: lease.jobID, index: lease.windowIndex)) }
                }
            } catch {
                failures.withLock { $0.append(String(reflecting: error)) }
            }
        }
        #expect(failures.value == [])
        let all = granted.value
        #expect(all.count == 200)
        #expect(Set(all).count == 200)
        #expect(try setup.windows(jobID: jobs[1]).allSatisfy { $0.state == .leased })
        // The higher-priority job's 80 windows were granted before the other job's, in grant (attempt id)
        // order: at most 3 of the other job's (one per other thread, whose transaction skipped windows
        // locked by in-flight grants) may come before the last of them. Unordered grants would spread them
        // over all 200.
        let order = try setup.connection.query("SELECT job_id FROM attempts ORDER BY id").rows.map { try $0.string(0) }
        let lastUrgent = try #require(order.lastIndex(of: jobs[1]))
        #expect(lastUrgent < 80 + 3, "the priority job's last grant came at position \(lastUrgent) of \(order.count)")
        let attempts = try setup.connection.query("SELECT count(*), count(DISTINCT (job_id, window_index)) FROM attempts").first!
        #expect(try attempts.int(0) == 200 && attempts.int(1) == 200)
        #expect(try setup.job(jobs[0])?.state == .running)
        #expect(try setup.listWorkers().allSatisfy { $0.state == .busy })
    }

    @Test func grantsLowestWindowOfHighestPriorityOldestJob() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let old = try submit(store, windows: 2)
        let urgent = try submit(store, windows: 2, priority: 10)
        let first = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(first.jobID == urgent && first.windowIndex == 0 && first.attempt == 1)
        #expect(first.spec.contains("a red ball"))
        #expect(first.firstFrame == 0 && first.frameCount == 8)
        _ = try store.acquireLease(workerID: worker, ttl: .seconds(30))
        let third = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(third.jobID == old && third.windowIndex == 0)
        #expect(try store.job(urgent)?.state == .running)
    }

    @Test func expiredLeaseIsRegrantedAndStaleCompletionDiscarded() throws {
        let store = try makeStore()
        let (a, b) = (try register(store, "a"), try register(store, "b"))
        let job = try submit(store, windows: 1)
        let lost = try #require(try store.acquireLease(workerID: a, ttl: .seconds(30)))
        #expect(try store.renewLease(leaseID: lost.leaseID, ttl: .seconds(30)))
        #expect(try store.expireLeases(now: Date() + 10) == 0)
        #expect(try store.expireLeases(now: Date() + 120) == 1)
        #expect(try store.renewLease(leaseID: lost.leaseID, ttl: .seconds(30)) == false)
        let window = try #require(try store.windows(jobID: job).first)
        #expect(window.state == .pending && window.leaseID == nil && window.attempts == 1)
        let again = try #require(try store.acquireLease(workerID: b, ttl: .seconds(30)))
        #expect(again.windowIndex == 0 && again.attempt == 2 && again.leaseID != lost.leaseID)
        // The first worker finishes late: discarded, the window stays with b.
        #expect(try store.completeLease(leaseID: lost.leaseID, result: [1], digest: "d1", durationMs: 5) == .staleLease)
        #expect(try store.completeLease(leaseID: again.leaseID, result: [2, 3], digest: "d2", durationMs: 7) == .committed)
        // A repeated completion is never committed twice.
        #expect(try store.completeLease(leaseID: again.leaseID, result: [9], digest: "d9", durationMs: 7) == .alreadyDone)
        #expect(try store.completeLease(leaseID: lost.leaseID, result: [1], digest: "d1", durationMs: 5) == .alreadyDone)
        #expect(try store.windowResults(jobID: job) == [WindowResult(index: 0, bytes: [2, 3], digest: "d2")])
        #expect(try store.allWindowsDone(jobID: job))
        let outcomes = try store.attempts(jobID: job).map(\.outcome)
        #expect(outcomes == [.expired, .done])
        #expect(try store.completeLease(leaseID: "l-unknown", result: [], digest: "", durationMs: 0) == .staleLease)
    }

    /// Policy: a lease past its expiry that no sweep has reclaimed is still current (its result commits);
    /// once a sweep reclaims it, the late result is discarded even if nobody holds the window yet.
    @Test func completionAfterExpiryPolicy() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 2)
        let unswept = try #require(try store.acquireLease(workerID: worker, ttl: .milliseconds(1)))
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try store.completeLease(leaseID: unswept.leaseID, result: [1], digest: "a", durationMs: 1) == .committed)
        let swept = try #require(try store.acquireLease(workerID: worker, ttl: .milliseconds(1)))
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try store.expireLeases() == 1)
        #expect(try store.completeLease(leaseID: swept.leaseID, result: [2], digest: "b", durationMs: 1) == .staleLease)
        let windows = try store.windows(jobID: job)
        #expect(windows.map(\.state) == [.done, .pending])
        #expect(windows[0].resultSize == 1 && windows[1].resultSize == nil)
    }

    @Test func largeResultIsStoredDurably() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 1)
        let lease = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        let latents = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(try store.completeLease(leaseID: lease.leaseID, result: latents, digest: "sha", durationMs: 100) == .committed)
        #expect(try store.windowResults(jobID: job).first?.bytes == latents)
        #expect(try store.windows(jobID: job).first?.durationMs == 100)
    }
}
