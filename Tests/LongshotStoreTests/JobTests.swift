import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct JobTests {
    @Test func insertReadAndList() throws {
        let store = try makeStore()
        let id = try submit(store, windows: 4, priority: 2)
        let job = try #require(try store.job(id))
        #expect(job.state == .queued && job.priority == 2 && job.windowCount == 4 && job.frames == 32)
        #expect(job.spec.contains("\"seed\": 7"))
        #expect(id.hasPrefix("j-") && id.count == 14)
        #expect(try store.windows(jobID: id).map(\.firstFrame) == [0, 8, 16, 24])
        #expect(try store.job("j-missing") == nil)
        #expect(throws: PostgresError.self) { try store.insertJob(id: id, spec: "{}", windows: spans(1)) }
        #expect(throws: PostgresError.self) { try store.insertJob(id: "j-bad", spec: "not json", windows: spans(1)) }
        let second = try submit(store)
        #expect(try store.listJobs().map(\.id) == [second, id])
        // A queued job cannot be marked stitched: it is not stitching.
        #expect(try store.apply(.stitched, toJob: second) == false)
        #expect(try store.apply(.failed, toJob: second, error: "decoder crashed"))
        #expect(try store.apply(.failed, toJob: second, error: "again") == false, "a failed job does not fail twice")
        #expect(try store.listJobs(states: [.failed]).map(\.id) == [second])
        #expect(try store.job(second)?.error == "decoder crashed")
        // A video over two chunks is stored in the database and read back from any offset.
        let video = (0..<(FarmStore.videoChunkBytes + 1234)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try store.setJobOutput(id, path: "/out/a.mp4", video: video, sha256: "abc", pruneResults: false))
        let done = try #require(try store.job(id))
        #expect(done.state == .succeeded && done.outputBytes == Int64(video.count) && done.outputPath == "/out/a.mp4")
        #expect(try store.storedVideo(jobID: id, offset: 0, count: video.count) == video)
        let across = FarmStore.videoChunkBytes - 10
        #expect(try store.storedVideo(jobID: id, offset: across, count: 100) == Array(video[across..<(across + 100)]))
        #expect(try store.storedVideo(jobID: id, offset: video.count, count: 100).isEmpty)
        #expect(try store.storedVideo(jobID: "j-missing", offset: 0, count: 100).isEmpty)
    }

    @Test("window results are deleted once the video is stored (unless kept); a rerun of some windows then renders all")
    func pruneResultsAfterTheVideo() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 3)
        while let lease = try store.acquireLease(workerID: worker, ttl: .seconds(30)) {
            _ = try store.completeLease(leaseID: lease.leaseID, result: [1, 2, 3], digest: "d", durationMs: 1)
        }
        #expect(try store.setJobOutput(job, path: "/out/p.mp4", video: [9, 9], sha256: "s", pruneResults: true))
        #expect(try store.windowResults(jobID: job).allSatisfy { $0.bytes.isEmpty })
        #expect(try store.windows(jobID: job).allSatisfy { $0.state == .done })
        #expect(try store.storedVideo(jobID: job, offset: 0, count: 10) == [9, 9])
        #expect(try store.rerun(jobID: job, windows: .windows([1])) == 3)
        #expect(try store.windows(jobID: job).allSatisfy { $0.state == .pending })
        #expect(try store.storedVideo(jobID: job, offset: 0, count: 10).isEmpty)
    }

    @Test func cancelReleasesLeasesAndStopsGrants() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 3)
        let lease = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(try store.cancel(jobID: job))
        #expect(try store.cancel(jobID: job) == false)
        #expect(try store.job(job)?.state == .cancelled)
        #expect(try store.acquireLease(workerID: worker, ttl: .seconds(30)) == nil)
        #expect(try store.completeLease(leaseID: lease.leaseID, result: [1], digest: "x", durationMs: 1) == .staleLease)
        #expect(try store.windows(jobID: job).allSatisfy { $0.state == .pending && $0.attempts == 0 })
        #expect(try store.attempts(jobID: job).map(\.outcome) == [.cancelled])
        #expect(try store.listWorkers().first?.state == .idle)
    }

    @Test func rerunResetsOnlyTheNamedWindows() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 4)
        while let lease = try store.acquireLease(workerID: worker, ttl: .seconds(30)) {
            let outcome = try store.completeLease(
                leaseID: lease.leaseID, result: [UInt8(lease.windowIndex)], digest: "d\(lease.windowIndex)", durationMs: 1)
            #expect(outcome == .committed)
        }
        #expect(try store.allWindowsDone(jobID: job))
        #expect(try store.setJobOutput(job, path: "/out/x.mp4", video: [1], sha256: "s", pruneResults: false))
        #expect(try store.rerun(jobID: job, windows: .windows([1, 3])) == 2)
        let record = try #require(try store.job(job))
        #expect(record.state == .queued && record.outputPath == nil)
        let windows = try store.windows(jobID: job)
        #expect(windows.map(\.state) == [.done, .pending, .done, .pending])
        #expect(windows.map(\.attempts) == [1, 0, 1, 0])
        #expect(try store.windowResults(jobID: job).map(\.index) == [0, 2])
        #expect(try store.allWindowsDone(jobID: job) == false)
        let next = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(next.windowIndex == 1 && next.attempt == 1)
        #expect(try store.job(job)?.state == .running)
        #expect(try store.windowCounts(jobID: job) == [.done: 2, .leased: 1, .pending: 1])
        #expect(throws: FarmStoreError.self) { try store.rerun(jobID: "j-none", windows: .all) }
    }

    @Test func rerunFailedOnly() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 2, maxAttempts: 1)
        let a = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        let b = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
        #expect(try store.completeLease(leaseID: a.leaseID, result: [7], digest: "a", durationMs: 1) == .committed)
        #expect(try store.failLease(leaseID: b.leaseID, error: "nan", backoff: .zero).outcome == .windowFailed)
        #expect(try store.job(job)?.state == .failed)
        #expect(try store.rerun(jobID: job, windows: .failedOnly) == 1)
        #expect(try store.windows(jobID: job).map(\.state) == [.done, .pending])
        #expect(try store.job(job)?.state == .queued && store.job(job)?.error == nil)
    }

    @Test func eventsAndCheckpoints() throws {
        let store = try makeStore()
        let job = try submit(store, windows: 1)
        try store.appendEvent(jobID: job, windowIndex: 0, kind: "note", message: "hello 'world'")
        let events = try store.recentEvents(jobID: job)
        #expect(events.map(\.kind) == ["job.submitted", "note"])
        #expect(events.last?.message == "hello 'world'" && events.last?.windowIndex == 0)
        #expect(try store.recentEvents(jobID: job, limit: 1).map(\.kind) == ["note"])
        #expect(try store.recentEvents(jobID: job, after: events[0].id).map(\.kind) == ["note"])
    }

    @Test func jobsAreReadyToFinishWhenEveryWindowIsDone() throws {
        let store = try makeStore()
        let worker = try register(store, "w")
        let job = try submit(store, windows: 2)
        #expect(try store.jobsReadyToFinish().isEmpty)
        for _ in 0..<2 {
            let lease = try #require(try store.acquireLease(workerID: worker, ttl: .seconds(30)))
            #expect(try store.jobsReadyToFinish().isEmpty)
            #expect(try store.completeLease(leaseID: lease.leaseID, result: [1], digest: "d", durationMs: 1) == .committed)
        }
        #expect(try store.jobsReadyToFinish() == [job])
        #expect(try store.setJobOutput(job, path: "/out/j.mp4", video: [1, 2, 3], sha256: "s", pruneResults: false))
        #expect(try store.jobsReadyToFinish().isEmpty)
    }
}
