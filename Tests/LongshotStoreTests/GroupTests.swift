import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

/// A codenoise job with `count` windows on the synthetic engine.
private func submitCodenoise(_ store: FarmStore, windows count: Int, maxAttempts: Int = 3) throws -> String {
    let id = FarmStore.newJobID()
    try store.insertJob(
        id: id, spec: #"{"prompt": "a red ball", "seed": 7, "engine": "synthetic", "fusion": "codenoise", "steps": 12}"#,
        windows: spans(count), maxAttempts: maxAttempts)
    return id
}

@Suite struct GroupTests {
    @Test func groupSizesAreContiguousAndEven() {
        #expect(groupSizes(windows: 6, groups: 4) == [2, 2, 1, 1])
        #expect(groupSizes(windows: 3, groups: 8) == [1, 1, 1])
        #expect(groupSizes(windows: 5, groups: 0) == [5])
    }

    @Test func aJobIsSplitOncePerLiveSlotAndGroupsAreGrantedInOrder() throws {
        let store = try makeStore()
        let a = try register(store, "a")
        let b = try register(store, "b")
        let job = try submitCodenoise(store, windows: 5)
        // Window leases never hand out a codenoise job's windows.
        #expect(try store.acquireLease(workerID: a, ttl: .seconds(30)) == nil)
        let first = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        let second = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        #expect(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)) == nil)
        #expect((first.groupIndex, first.firstWindow, first.windowCount, first.groupCount) == (0, 0, 3, 2))
        #expect((second.groupIndex, second.firstWindow, second.windowCount) == (1, 3, 2))
        #expect(first.checkpointStep == 0 && first.checkpoint == nil)
        #expect(try store.job(job)?.state == .running)
        #expect(try store.listWorkers().allSatisfy { $0.state == .busy })
        #expect(try store.renewLease(leaseID: first.leaseID, ttl: .seconds(30)))
    }

    @Test func checkpointsResumeAGroupAndThoseBelowTheFloorAreDeleted() throws {
        let store = try makeStore()
        let a = try register(store, "a")
        let b = try register(store, "b")
        let job = try submitCodenoise(store, windows: 4)
        let g0 = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        let g1 = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        #expect(try store.saveGroupCheckpoint(leaseID: g0.leaseID, step: 4, data: [4]) == 0)
        #expect(try store.saveGroupCheckpoint(leaseID: g1.leaseID, step: 4, data: [14]) == 4)
        #expect(try store.saveGroupCheckpoint(leaseID: g0.leaseID, step: 8, data: [8]) == 4)
        #expect(try store.saveGroupCheckpoint(leaseID: "g-unknown", step: 8, data: [8]) == nil)
        #expect(try store.saveGroupCheckpoint(leaseID: g1.leaseID, step: 8, data: [18]) == 8)
        let kept = try store.connection.query("SELECT group_index, step FROM group_checkpoints ORDER BY 1, 2").rows.map {
            [try $0.int(0), try $0.int(1)]
        }
        #expect(kept == [[0, 8], [1, 8]])

        // The worker of group 0 fails: the group resumes from its checkpoint on the next grant.
        let failure = try store.failGroupLease(leaseID: g0.leaseID, error: "boom", logTail: nil, backoff: .zero)
        guard case .retrying = failure.outcome else { Issue.record("\(failure)"); return }
        let again = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        #expect(again.groupIndex == 0 && again.checkpointStep == 8 && again.checkpoint == [8] && again.attempt == 2)

        // A finished group stores its windows' slices.
        let done = try store.completeGroup(
            leaseID: g1.leaseID, windows: [WindowResult(index: 2, bytes: [1], digest: "x"), WindowResult(index: 3, bytes: [2], digest: "y")],
            durationMs: 5)
        #expect(done == .committed)
        #expect(try store.windows(jobID: job).map(\.state) == [.pending, .pending, .done, .done])
        #expect(try store.groups(jobID: job).map(\.step) == [8, 12])
    }

    @Test func rollBackBringsEveryGroupToTheCommonCheckpoint() throws {
        let store = try makeStore()
        let a = try register(store, "a")
        let b = try register(store, "b")
        let job = try submitCodenoise(store, windows: 4)
        let g0 = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        let g1 = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        _ = try store.saveGroupCheckpoint(leaseID: g0.leaseID, step: 4, data: [4])
        _ = try store.saveGroupCheckpoint(leaseID: g1.leaseID, step: 4, data: [14])
        _ = try store.saveGroupCheckpoint(leaseID: g1.leaseID, step: 8, data: [18])
        _ = try store.completeGroup(leaseID: g1.leaseID, windows: [WindowResult(index: 2, bytes: [1], digest: nil)], durationMs: 1)

        let rolled = try store.rollBackRunningGroups(reason: "test")
        #expect(rolled.map(\.step) == [4] && rolled.map(\.jobID) == [job])
        #expect(try store.groups(jobID: job).map(\.state) == [.pending, .pending])
        #expect(try store.groups(jobID: job).map(\.checkpointStep) == [4, 4])
        #expect(try store.windows(jobID: job).allSatisfy { $0.state == .pending })
        #expect(try store.renewLease(leaseID: g0.leaseID, ttl: .seconds(30)) == false)
        let resumed = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        #expect(resumed.groupIndex == 0 && resumed.checkpointStep == 4 && resumed.checkpoint == [4])
        let next = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        #expect(next.groupIndex == 1 && next.checkpoint == [14])
    }

    @Test func anExpiredGroupOutOfAttemptsFailsItsWindowsAndJob() throws {
        let store = try makeStore()
        let a = try register(store, "a")
        let job = try submitCodenoise(store, windows: 2, maxAttempts: 1)
        let lease = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        #expect(lease.windowCount == 2)
        #expect(try store.expireLeases(now: Date().addingTimeInterval(60)) == 1)
        #expect(try store.job(job)?.state == .failed)
        #expect(try store.windows(jobID: job).allSatisfy { $0.state == .failed })
        #expect(try store.listWorkers().first?.state == .idle)
    }
}

extension GroupTests {
    @Test func rerunOfFailedWindowsResumesEveryGroupFromTheCommonCheckpoint() throws {
        let store = try makeStore()
        let a = try register(store, "a")
        let b = try register(store, "b")
        let job = try submitCodenoise(store, windows: 4, maxAttempts: 1)
        let g0 = try #require(try store.acquireGroupLease(workerID: a, ttl: .seconds(30)))
        let g1 = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        _ = try store.saveGroupCheckpoint(leaseID: g0.leaseID, step: 4, data: [4])
        _ = try store.saveGroupCheckpoint(leaseID: g1.leaseID, step: 4, data: [14])
        _ = try store.failGroupLease(leaseID: g1.leaseID, error: "engine crashed", logTail: nil, backoff: .zero)
        #expect(try store.job(job)?.state == .failed)
        #expect(try store.windows(jobID: job).map(\.state) == [.pending, .pending, .failed, .failed])
        #expect(try store.rerun(jobID: job, windows: .failedOnly) == 4)
        #expect(try store.job(job)?.state == .queued)
        #expect(try store.groups(jobID: job).map(\.checkpointStep) == [4, 4])
        #expect(try store.groups(jobID: job).allSatisfy { $0.state == .pending })
        #expect(try store.renewLease(leaseID: g0.leaseID, ttl: .seconds(30)) == false)
        let resumed = try #require(try store.acquireGroupLease(workerID: b, ttl: .seconds(30)))
        #expect(resumed.checkpointStep == 4 && resumed.attempt == 1)
        // A full rerun forgets the groups: the job is split again for the workers there are then.
        #expect(try store.rerun(jobID: job, windows: .all) == 4)
        #expect(try store.groups(jobID: job).isEmpty)
    }
}
