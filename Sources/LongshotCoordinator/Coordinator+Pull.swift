import Foundation
import LongshotDigest
import LongshotMetrics
import LongshotProtocol
import LongshotStore
import LongshotWire

extension Coordinator {
    /// The most leases one ``pullWork(_:)`` grants.
    static let maxLeasesPerPull = 64

    /// A worker's main call: stores its finished windows, takes back leases it gives up, and grants up to
    /// `want` new leases (decode segments first, since they finish jobs; then codenoise groups; then
    /// windows), in a few transactions whatever the batch's size.
    func pullWork(_ r: Longshot_V1_PullWork) async throws -> Longshot_V1_Response.OneOf_Body {
        let outcomes = try await commitResults(r.results, workerID: r.workerID)
        if !r.releasedLeaseIds.isEmpty {
            let ids = r.releasedLeaseIds, worker = r.workerID
            let released = try await database.run { try $0.releaseLeases(ids, workerID: worker) }
            if released > 0 {
                leaseWindows.withLock { map in ids.forEach { map.removeValue(forKey: $0) } }
                events.publishWorkAvailable("\(released) lease(s) given back by \(worker)")
            }
        }
        let want = min(Int(r.want), Self.maxLeasesPerPull)
        let leases = want > 0 ? try await grant(want, idleSlots: Int(r.idleSlots), workerID: r.workerID) : []
        return .workPulled(.with {
            $0.outcomes = outcomes
            $0.leases = leases
            if leases.isEmpty && want > 0 { $0.retryAfterMs = UInt32(clamping: config.idleRetryAfter.milliseconds) }
        })
    }

    /// Up to `want` leases for the worker: segments and groups where there may be some (see ``WorkHints``),
    /// then windows in one statement. A group only into an idle slot (`idleSlots` beyond the leases
    /// granted before it): queued behind other work it would hold up its job's step barrier.
    func grant(_ want: Int, idleSlots: Int, workerID: String) async throws -> [Longshot_V1_LeaseGranted] {
        var leases: [Longshot_V1_LeaseGranted] = []
        let hints = events.hints
        if hints.mayHave(.segments) {
            let since = hints.current
            if let segment = try await acquireSegment(workerID: workerID) { leases.append(segment) } else { hints.foundNone(.segments, since: since) }
        }
        if leases.count < want, idleSlots > leases.count, hints.mayHave(.groups) {
            let since = hints.current
            if let group = try await acquireGroup(workerID: workerID, adopt: nil) { leases.append(group) } else { hints.foundNone(.groups, since: since) }
        }
        guard leases.count < want else { return leases }
        let ttl = config.leaseTTL, count = want - leases.count
        let immediate = max(0, idleSlots - leases.count)
        let windows = try await database.run { try $0.acquireLeases(workerID: workerID, count: count, immediate: immediate, ttl: ttl) }
        guard !windows.isEmpty else { return leases }
        var published: [(Longshot_V1_Event, String)] = []
        for lease in windows {
            let plan = try jobs.plan(jobID: lease.jobID, specJSON: lease.spec)
            leases.append(.with {
                $0.leaseID = lease.leaseID
                $0.jobID = lease.jobID
                $0.windowIndex = UInt32(lease.windowIndex)
                $0.firstFrame = UInt32(lease.firstFrame)
                $0.frameCount = UInt32(lease.frameCount)
                $0.job = jobs.wire(jobID: lease.jobID, plan: plan)
                $0.expiresAtMs = Int64(lease.expiresAt.timeIntervalSince1970 * 1000)
                $0.stepBegin = 0
                $0.stepEnd = UInt32(plan.spec.steps)
            })
            FarmMetrics.leaseGranted("window")
            published.append((
                .make(.windowLeased, job: lease.jobID, window: lease.windowIndex, "window \(lease.windowIndex) leased (attempt \(lease.attempt))"),
                lease.leaseID))
        }
        rememberLeaseWindows(windows.map { ($0.leaseID, $0.jobID, $0.windowIndex) })
        await sameHolder(windows.map(\.leaseID))
        await publishBatch(published)
        return leases
    }

    /// Validates and stores handed-in window results, one transaction for all; one outcome each, in order.
    /// A result that does not match its window counts as a failed attempt.
    func commitResults(_ results: [Longshot_V1_ReportResult], workerID: String) async throws -> [Longshot_V1_ResultOutcome] {
        guard !results.isEmpty else { return [] }
        let ids = results.map(\.leaseID)
        let windows = try await database.run { try $0.windowsForLeases(ids, workerID: workerID) }
        var outcomes = results.map { r in Longshot_V1_ResultOutcome.with { $0.leaseID = r.leaseID } }
        var accepted: [(slot: Int, window: LeasedWindow, result: FinishedWindow)] = []
        let now = Date()
        for (slot, r) in results.enumerated() {
            guard let window = windows[r.leaseID] else {
                outcomes[slot].error = .with {
                    $0.code = .leaseLost
                    $0.message = "lease \(r.leaseID) is not current or not this worker's: the result was discarded"
                }
                continue
            }
            do {
                let plan = try jobs.plan(jobID: window.jobID, specJSON: window.spec)
                let latents = try r.latents.latents(frames: window.frameCount, layout: plan.layout)
                let digest = SHA256.hex(floats: latents)
                guard r.digest.isEmpty || r.digest == digest else {
                    throw RequestError(.invalidArgument, "digest \(r.digest) does not match the data (\(digest))")
                }
                let duration = Int64(max(0, now.timeIntervalSince(window.leasedAt)) * 1000)
                accepted.append((slot, window, FinishedWindow(
                    leaseID: r.leaseID, result: latents.withUnsafeBytes { Array($0) }, digest: digest, durationMs: duration)))
            } catch {
                let message = "result for job \(window.jobID) window \(window.index): \((error as? RequestError)?.message ?? "\(error)")"
                outcomes[slot].error = .with {
                    $0.code = .invalidArgument
                    $0.message = message
                }
                _ = try await reportFailure(.with {
                    $0.leaseID = r.leaseID
                    $0.error = message
                })
            }
        }
        guard !accepted.isEmpty else { return outcomes }
        let stored = try await database.run { [accepted] in try $0.completeLeases(accepted.map(\.result)) }
        leaseWindows.withLock { map in accepted.forEach { map.removeValue(forKey: $0.result.leaseID) } }
        var published: [(Longshot_V1_Event, String)] = []
        for (item, outcome) in zip(accepted, stored) {
            switch outcome {
            case .committed:
                FarmMetrics.windowDone(after: .milliseconds(item.result.durationMs), kind: "window")
                FarmMetrics.bytes(item.result.result.count, "results")
                published.append((.make(.windowDone, job: item.window.jobID, window: item.window.index, "window \(item.window.index) done"), item.result.leaseID))
            case .alreadyDone:
                break
            case .staleLease:
                outcomes[item.slot].error = .with {
                    $0.code = .leaseLost
                    $0.message = "lease \(item.result.leaseID) expired before its result arrived: the result was discarded"
                }
            }
        }
        let finished = await publishBatch(published)
        for job in finished { await finishIfComplete(jobID: job) }
        return outcomes
    }

    /// Notes which window each new lease holds, for progress events; bounded like the other caches.
    func rememberLeaseWindows(_ leases: [(lease: String, job: String, index: Int)]) {
        leaseWindows.withLock { map in
            if map.count > EventDetails.limit { map.removeAll() }
            for l in leases { map[l.lease] = (l.job, l.index) }
        }
    }
}
