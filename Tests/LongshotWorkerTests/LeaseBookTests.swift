import LongshotProtocol
import Testing

@testable import LongshotWorker

/// The worker's lease lifecycle (queued -> running -> outbox -> in flight -> handed in; revoked; given
/// back), as the pure ``LeaseBook`` value.
@Suite struct LeaseBookTests {
    func lease(_ id: String) -> Longshot_V1_LeaseGranted { .with { $0.leaseID = id } }
    func result(_ id: String) -> Longshot_V1_ReportResult { .with { $0.leaseID = id } }
    let t0 = ContinuousClock.now

    @Test func anUntimedWorkerAsksForOneRunningAndOneQueuedLeasePerSlot() {
        let book = LeaseBook(slots: 3)
        #expect(book.prefetch == 1)
        #expect(book.want(stopping: false) == 6)
        #expect(book.shouldPull(now: t0, stopping: false, starved: false))
        #expect(!book.shouldPull(now: t0, stopping: false, starved: true), "the coordinator said it has nothing: wait")
        #expect(book.want(stopping: true) == 0)
        var drained = book
        drained.drained = true
        #expect(drained.want(stopping: false) == 0 && !drained.shouldPull(now: t0, stopping: false, starved: false))
    }

    @Test func aLeaseGoesFromQueueToSlotToOutboxToHandedIn() {
        var book = LeaseBook(slots: 1)
        book.granted([lease("a"), lease("b")])
        #expect(book.held == ["a", "b"])
        #expect(book.want(stopping: false) == 0)
        #expect(book.start()?.leaseID == "a")
        #expect(book.running == ["a"] && book.queued.map(\.leaseID) == ["b"])
        #expect(!book.shouldPull(now: t0, stopping: false, starved: false), "one still queued for the slot")
        book.finished("a", result: result("a"), took: .milliseconds(200), at: t0)
        #expect(book.held.sorted() == ["a", "b"], "a finished window is held until its result is stored")
        #expect(!book.shouldPull(now: t0, stopping: false, starved: false), "the result waits a few ms for company")
        #expect(book.shouldPull(now: t0 + LeaseBook.resultDelay, stopping: false, starved: false))
        #expect(book.nextResultDue == t0 + LeaseBook.resultDelay)
        #expect(book.start()?.leaseID == "b")
        #expect(book.shouldPull(now: t0, stopping: false, starved: false), "the queue ran dry: refill")
        let pull = book.takePull(stopping: false)
        #expect(pull.results.map(\.leaseID) == ["a"] && pull.release == [] && pull.want == 1)
        #expect(book.held.sorted() == ["a", "b"], "in flight is still held")
        book.handedIn()
        #expect(book.held == ["b"])
        #expect(book.start() == nil)
    }

    @Test func aFailedPullPutsItsResultsBackFirst() {
        var book = LeaseBook(slots: 2)
        book.granted([lease("a"), lease("b"), lease("c")])
        for id in ["a", "b"] {
            _ = book.start()
            book.finished(id, result: result(id), took: nil, at: t0)
        }
        let pull = book.takePull(stopping: false)
        #expect(pull.results.map(\.leaseID) == ["a", "b"])
        _ = book.start()
        book.finished("c", result: result("c"), took: nil, at: t0)
        book.pullFailed(at: t0)
        #expect(book.outbox.map(\.result.leaseID) == ["a", "b", "c"])
        #expect(book.takePull(stopping: false).results.count == 3)
    }

    @Test func quickWindowsPrefetchMoreAndBatchTheirResults() {
        var book = LeaseBook(slots: 1)
        book.granted([lease("w0")])
        _ = book.start()
        book.finished("w0", result: result("w0"), took: .milliseconds(2), at: t0)
        #expect(book.prefetch == LeaseBook.maxPrefetch, "40 ms of 2 ms windows, capped")
        #expect(book.want(stopping: false) == 1 + LeaseBook.maxPrefetch)
        var slow = LeaseBook(slots: 1)
        slow.granted([lease("s")])
        _ = slow.start()
        slow.finished("s", result: nil, took: .seconds(2), at: t0)
        #expect(slow.prefetch == 1)
        // With quick windows the queue is refilled at half depth, so several results go in one pull.
        book.granted((1...16).map { lease("w\($0)") })
        for i in 1...8 {
            _ = book.start()
            #expect(!book.shouldPull(now: t0, stopping: false, starved: false) || i == 8)
            book.finished("w\(i)", result: result("w\(i)"), took: .milliseconds(2), at: t0)
        }
        #expect(book.shouldPull(now: t0, stopping: false, starved: false))
        #expect(book.takePull(stopping: false).results.count == 9)
    }

    @Test func revokedLeasesAreDroppedOrMarkedForTheirRunner() {
        var book = LeaseBook(slots: 1)
        book.granted([lease("run"), lease("queued")])
        _ = book.start()
        book.startExtra("adopted")
        book.revoke(["run", "queued", "adopted", "unknown"])
        #expect(book.queued.isEmpty)
        #expect(book.isRevoked("run") && book.isRevoked("adopted") && !book.isRevoked("unknown"))
        book.finished("run", result: nil, took: nil, at: t0)
        book.finished("adopted", result: nil, took: nil, at: t0)
        #expect(!book.isRevoked("run") && book.isEmpty)
        // A revoked result waiting in the outbox is forgotten, not handed in.
        book.granted([lease("done")])
        _ = book.start()
        book.finished("done", result: result("done"), took: nil, at: t0)
        book.revoke(["done"])
        #expect(book.outbox.isEmpty && book.isEmpty)
    }

    @Test func aStoppingWorkerGivesBackWhatIsQueuedAndAsksForNothing() {
        var book = LeaseBook(slots: 1)
        book.granted([lease("a"), lease("b"), lease("c")])
        _ = book.start()
        #expect(book.shouldPull(now: t0, stopping: true, starved: true), "queued leases must go back")
        let pull = book.takePull(stopping: true)
        #expect(pull.release == ["b", "c"] && pull.want == 0)
        book.handedIn()
        #expect(!book.isEmpty)
        book.finished("a", result: result("a"), took: nil, at: t0)
        #expect(book.shouldPull(now: t0 + LeaseBook.resultDelay, stopping: true, starved: true))
        _ = book.takePull(stopping: true)
        book.handedIn()
        #expect(book.isEmpty)
    }

    @Test func aFullBatchGoesAtOnce() {
        var book = LeaseBook(slots: 1)
        for i in 0..<LeaseBook.maxBatch + 5 {
            book.granted([lease("l\(i)")])
            _ = book.start()
            book.finished("l\(i)", result: result("l\(i)"), took: .milliseconds(1), at: t0)
        }
        #expect(book.shouldPull(now: t0, stopping: false, starved: true))
        #expect(book.takePull(stopping: false).results.count == LeaseBook.maxBatch)
        #expect(book.outbox.count == 5)
    }
}

extension LeaseBookTests {
    @Test func aRunningGroupHoldsItsSlotSoNothingIsFetchedAheadForIt() {
        var book = LeaseBook(slots: 2)
        #expect(book.idleSlots == 2)
        book.granted([.with { $0.leaseID = "g"; $0.windowCount = 4 }])
        #expect(book.idleSlots == 1, "a queued lease claims a slot")
        _ = book.start()
        #expect(book.groups == ["g"] && book.idleSlots == 1)
        #expect(book.want(stopping: false) == 2, "only the other slot: one running, one queued")
        book.granted([lease("w1"), lease("w2")])
        #expect(book.idleSlots == 0 && book.want(stopping: false) == 0)
        _ = book.start()
        #expect(book.takePull(stopping: false).idleSlots == 0)
        book.finished("g", result: nil, took: nil, at: t0)
        #expect(book.groups.isEmpty && book.want(stopping: false) == 2)
        let one = LeaseBook(slots: 1)
        var busy = one
        busy.granted([.with { $0.leaseID = "g"; $0.windowCount = 2 }])
        _ = busy.start()
        #expect(busy.want(stopping: false) == 0 && !busy.shouldPull(now: t0, stopping: false, starved: false))
    }
}
