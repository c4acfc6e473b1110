import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct FailureTests {
    @Test func failBacksOffRetriesAndFailsAfterMaxAttempts() throws {
        let store = try makeStore(blockAfterFailures: 10)
        let worker = try register(store, "w")
        let job = try submit(store, windows: 1, maxAttempts: 3)
        let first = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        let failure = try store.failLease(leaseID: first.leaseID, error: "CUDA OOM", logTail: "trace…", backoff: .seconds(10))
        guard case .retrying(let notBefore) = failure.outcome else { Issue.record("expected retry"); return }
        #expect(notBefore > Date() + 8 && notBefore < Date() + 12)
        // Backing off: not granted now, granted once the backoff has passed.
        #expect(try store.acquireLease(workerID: worker, ttl: .seconds(30)) == nil)
        let second = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30), now: Date() + 11))
        #expect(second.attempt == 2)
        let retry = try store.failLease(leaseID: second.leaseID, error: "again", backoff: .seconds(10))
        guard case .retrying(let later) = retry.outcome else { Issue.record("expected retry"); return }
        #expect(later > Date() + 18)  // 10 s * 2^(2-1)
        #expect(try store.acquireLease(workerID: worker, ttl: .seconds(30), now: Date() + 11) == nil)
        let third = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30), now: Date() + 21))
        #expect(try store.failLease(leaseID: third.leaseID, error: "third", backoff: .seconds(10)).outcome == .windowFailed)
        #expect(try store.failLease(leaseID: third.leaseID, error: "late", backoff: .seconds(10)).outcome == .staleLease)
        #expect(try store.windows(jobID: job).first?.state == .failed)
        let record = try #require(try store.job(job))
        #expect(record.state == .failed)
        #expect(record.error?.contains("window 0 failed after 3 attempts") == true)
        let attempts = try store.attempts(jobID: job)
        #expect(attempts.map(\.outcome) == [.failed, .failed, .failed])
        #expect(attempts.first?.error == "CUDA OOM" && attempts.first?.logTail == "trace…")
    }

    @Test func workerIsBlockedForAJobAfterRepeatedFailures() throws {
        let store = try makeStore(blockAfterFailures: 2)
        let (bad, good) = (try register(store, "bad"), try register(store, "good"))
        let job = try submit(store, windows: 3, maxAttempts: 5)
        let other = try submit(store, windows: 1)
        var blocked = false
        for _ in 0..<2 {
            let lease = try #require(try store.acquireLease(workerID: bad, ttl: .seconds(30)))
            #expect(lease.jobID == job)
            blocked = try store.failLease(leaseID: lease.leaseID, error: "boom", backoff: .zero).workerBlocked
        }
        #expect(blocked)
        #expect(try store.blockedWorkers(jobID: job) == [bad])
        // The blocked worker gets the other job; the good worker still gets this one.
        #expect(try store.acquireLease(workerID: bad, ttl: .seconds(30))?.jobID == other)
        #expect(try store.acquireLease(workerID: bad, ttl: .seconds(30)) == nil)
        #expect(try store.acquireLease(workerID: good, ttl: .seconds(30))?.jobID == job)
        // Unblocking by hand lets it back in.
        try store.setWorkerBlocked(workerID: bad, jobID: job, false)
        #expect(try store.acquireLease(workerID: bad, ttl: .seconds(30))?.jobID == job)
        #expect(try store.recentEvents(jobID: job).contains { $0.kind == "worker.blocked" })
    }
}
