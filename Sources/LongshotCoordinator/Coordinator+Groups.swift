import Foundation
import LongshotDigest
import LongshotJob
import LongshotMetrics
import LongshotProtocol
import LongshotStore
import LongshotWire

/// What the coordinator knows of a live group lease (derived: rebuilt from the database on a miss).
struct GroupLeaseInfo: Sendable {
    var jobID: String
    var index: Int
    var windows: Range<Int>
    var frames: Range<Int>
    /// Windows of other groups overlapping this group's frames: whose pieces it needs after each step.
    var neighbours: [Int]
    var windowCount: Int
    var leasedAt: Date
    var plan: JobPlan
}

extension Coordinator {
    static func isGroupLease(_ id: String) -> Bool { id.hasPrefix("g-") }

    /// Grants a codenoise group to the worker, as a `LeaseGranted` with a window range.
    func acquireGroup(workerID: String, adopt: String?) async throws -> Longshot_V1_LeaseGranted? {
        let ttl = config.leaseTTL
        guard let lease = try await database.run({ try $0.acquireGroupLease(workerID: workerID, ttl: ttl, adoptJobID: adopt) }) else {
            return nil
        }
        let plan = try jobs.plan(jobID: lease.jobID, specJSON: lease.spec)
        let info = Self.groupInfo(plan: plan, job: lease.jobID, index: lease.groupIndex, first: lease.firstWindow, count: lease.windowCount, leasedAt: Date())
        groupLeases.withLock { $0[lease.leaseID] = info }
        FarmMetrics.leaseGranted("group")
        await publish(.make(
            .windowLeased, job: lease.jobID, window: lease.firstWindow,
            "group \(lease.groupIndex) (windows \(info.windows.lowerBound)-\(info.windows.upperBound - 1)) leased from step \(lease.checkpointStep) (attempt \(lease.attempt))"),
            lease: lease.leaseID)
        var granted = Longshot_V1_LeaseGranted.with {
            $0.leaseID = lease.leaseID
            $0.jobID = lease.jobID
            $0.windowIndex = UInt32(lease.firstWindow)
            $0.windowCount = UInt32(lease.windowCount)
            $0.groupIndex = UInt32(lease.groupIndex)
            $0.groupCount = UInt32(lease.groupCount)
            $0.firstFrame = UInt32(info.frames.lowerBound)
            $0.frameCount = UInt32(info.frames.count)
            $0.job = plan.spec.wire
            $0.expiresAtMs = Int64(lease.expiresAt.timeIntervalSince1970 * 1000)
            $0.stepBegin = UInt32(lease.checkpointStep)
            $0.stepEnd = UInt32(plan.spec.steps)
            $0.checkpointEvery = UInt32(config.checkpointEvery)
            $0.checkpointMinIntervalMs = UInt32(clamping: config.checkpointMinInterval.milliseconds)
        }
        if let bytes = lease.checkpoint {
            let floats = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            granted.latents = try Longshot_V1_Tensor(latents: floats, frames: info.frames.count, layout: plan.layout)
        }
        return granted
    }

    static func groupInfo(plan: JobPlan, job: String, index: Int, first: Int, count: Int, leasedAt: Date) -> GroupLeaseInfo {
        let windows = first..<(first + count)
        return GroupLeaseInfo(
            jobID: job, index: index, windows: windows, frames: plan.windows.frames(ofGroup: windows),
            neighbours: plan.windows.neighbours(ofGroup: windows), windowCount: plan.windows.windows.count,
            leasedAt: leasedAt, plan: plan)
    }

    /// The group a lease holds, from the cache or the database; nil when the lease is not current.
    func currentGroup(_ leaseID: String, refresh: Bool = false) async throws -> GroupLeaseInfo? {
        if !refresh, let info = groupLeases.withLock({ $0[leaseID] }) { return info }
        guard let found = try await database.run({ try $0.groupForLease(leaseID: leaseID) }) else {
            groupLeases.withLock { _ = $0.removeValue(forKey: leaseID) }
            return nil
        }
        let plan = try jobs.plan(jobID: found.jobID, specJSON: found.spec)
        let info = Self.groupInfo(plan: plan, job: found.jobID, index: found.index, first: found.firstWindow, count: found.windowCount, leasedAt: found.leasedAt)
        groupLeases.withLock { $0[leaseID] = info }
        return info
    }

    func requireGroup(_ leaseID: String) async throws -> GroupLeaseInfo {
        guard let info = try await currentGroup(leaseID) else {
            throw RequestError(.leaseLost, "group lease \(leaseID) is no longer yours (expired, cancelled, rerun or rolled back): drop the work")
        }
        return info
    }

    /// One step barrier: stores the group's part, then answers with what the group needs once it is all
    /// there, or `ready: false` after `wait_ms` (with `adopt` when a group of the job has had no worker
    /// for a lease's time).
    func stepExchange(_ r: Longshot_V1_StepExchange) async throws -> Longshot_V1_Response.OneOf_Body {
        let info = try await requireGroup(r.leaseID)
        let step = Int(r.step)
        let layout = info.plan.layout
        guard step < info.plan.spec.steps else {
            throw RequestError(.invalidArgument, "step \(step) is past the job's \(info.plan.spec.steps) steps")
        }
        for e in r.evidence where !info.windows.contains(Int(e.windowIndex)) {
            throw RequestError(.invalidArgument, "evidence for window \(e.windowIndex), which group \(info.index) does not hold")
        }
        for p in r.pieces {
            let w = Int(p.windowIndex)
            guard info.windows.contains(w) else {
                throw RequestError(.invalidArgument, "a piece of window \(w), which group \(info.index) does not hold")
            }
            let window = info.plan.windows.windows[w]
            let expected = [Int64(p.frameCount), Int64(layout.channels), Int64(layout.height), Int64(layout.width)]
            guard p.frameCount > 0, Int(p.firstFrame) >= window.start, Int(p.firstFrame + p.frameCount) <= window.end,
                p.latents.shape == expected, p.latents.dtype == .f32, p.latents.data.count == Int(p.frameCount) * layout.frameSize * 4
            else {
                throw RequestError(.invalidArgument, "window \(w)'s piece (frames \(p.firstFrame)+\(p.frameCount), shape \(p.latents.shape)) does not fit the window")
            }
        }
        let differing = await board.post(job: info.jobID, step: step, evidence: r.evidence, pieces: r.pieces)
        if !differing.isEmpty {
            log.error("job \(info.jobID) step \(step): group \(info.index) reposted windows \(differing) with different bits (a nondeterministic engine); the first post is kept", metadata: ["job.id": "\(info.jobID)"])
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(min(max(r.waitMs, 1), 10_000)))
        let need: StepBoard.Need
        switch r.phase {
        case .evidence: need = .evidence(windows: info.windowCount)
        case .halo: need = .pieces(info.neighbours)
        default: throw RequestError(.invalidArgument, "step exchange without a phase")
        }
        FarmMetrics.bytes(r.pieces.reduce(0) { $0 + $1.latents.data.count }, "halos")
        let waitStarted = ContinuousClock.now
        let collected = await board.collect(job: info.jobID, step: step, need: need, until: deadline)
        FarmMetrics.stepBarrierWait(ContinuousClock.now - waitStarted)
        switch collected {
        case .evidence(let all): return .stepExchanged(.with { $0.ready = true; $0.evidence = all })
        case .pieces(let pieces): return .stepExchanged(.with { $0.ready = true; $0.pieces = pieces })
        case nil: break
        }
        // Not ready: make sure the lease is still current (the job may have failed or been cancelled) and
        // tell the worker whether a group of the job has been left without a worker.
        guard try await currentGroup(r.leaseID, refresh: true) != nil else {
            throw RequestError(.leaseLost, "group lease \(r.leaseID) is no longer current: drop the work")
        }
        let ttl = config.leaseTTL
        let orphaned = try await database.run { try $0.orphanedGroups(jobID: info.jobID, pendingFor: ttl) }
        return .stepExchanged(.with {
            $0.ready = false
            $0.adopt = orphaned > 0
        })
    }

    func saveCheckpoint(_ r: Longshot_V1_SaveCheckpoint) async throws -> Longshot_V1_Response.OneOf_Body {
        let info = try await requireGroup(r.leaseID)
        let latents: [Float]
        do {
            latents = try r.latents.latents(frames: info.frames.count, layout: info.plan.layout)
        } catch {
            throw RequestError(.invalidArgument, "checkpoint of group \(info.index) of \(info.jobID): \(error)")
        }
        let step = Int(r.step)
        guard step > 0, step < info.plan.spec.steps else {
            throw RequestError(.invalidArgument, "checkpoint at step \(step): a job of \(info.plan.spec.steps) steps checkpoints after steps 1-\(info.plan.spec.steps - 1)")
        }
        let bytes = latents.withUnsafeBytes { Array($0) }
        guard let floor = try await database.run({ try $0.saveGroupCheckpoint(leaseID: r.leaseID, step: step, data: bytes) }) else {
            throw RequestError(.leaseLost, "group lease \(r.leaseID) is no longer current: the checkpoint was discarded")
        }
        await board.setFloor(job: info.jobID, floor)
        return .ack(.with { $0.message = "checkpoint at step \(step); the job's floor is step \(floor)" })
    }

    func reportGroupProgress(_ r: Longshot_V1_ReportProgress) async throws -> Longshot_V1_Response.OneOf_Body {
        let info = try await requireGroup(r.leaseID)
        let step = Int(r.step)
        try await database.run { try $0.setGroupStep(leaseID: r.leaseID, step: step) }
        await publish(.with {
            $0.kind = .windowProgress
            $0.jobID = info.jobID
            $0.windowIndex = UInt32(info.windows.lowerBound)
            $0.message = "group \(info.index): step \(r.step)/\(r.steps)"
            $0.group = true
            $0.step = r.step
            $0.steps = r.steps
        }, lease: r.leaseID)
        return .ack(Longshot_V1_Ack())
    }

    func reportGroupResult(_ r: Longshot_V1_ReportResult) async throws -> Longshot_V1_Response.OneOf_Body {
        let info = try await requireGroup(r.leaseID)
        let layout = info.plan.layout
        let latents: [Float]
        do {
            latents = try r.latents.latents(frames: info.frames.count, layout: layout)
        } catch {
            throw RequestError(.invalidArgument, "result of group \(info.index) of \(info.jobID): \(error)")
        }
        let digest = SHA256.hex(floats: latents)
        guard r.digest.isEmpty || r.digest == digest else {
            throw RequestError(.invalidArgument, "result of group \(info.index): digest \(r.digest) does not match the data (\(digest))")
        }
        let n = layout.frameSize
        let results = info.windows.map { index -> WindowResult in
            let w = info.plan.windows.windows[index]
            let slice = Array(latents[((w.start - info.frames.lowerBound) * n)..<((w.end - info.frames.lowerBound) * n)])
            return WindowResult(index: index, bytes: slice.withUnsafeBytes { Array($0) }, digest: SHA256.hex(floats: slice))
        }
        let duration = Int64(max(0, Date().timeIntervalSince(info.leasedAt)) * 1000)
        let outcome = try await database.run { try $0.completeGroup(leaseID: r.leaseID, windows: results, durationMs: duration) }
        groupLeases.withLock { _ = $0.removeValue(forKey: r.leaseID) }
        switch outcome {
        case .committed:
            FarmMetrics.windowDone(after: .milliseconds(duration), kind: "group")
            FarmMetrics.bytes(latents.count * 4, "results")
            await publish(.make(.windowDone, job: info.jobID, window: info.windows.lowerBound, "group \(info.index) done"), lease: r.leaseID)
            await finishIfComplete(jobID: info.jobID)
            return .ack(.with { $0.message = "committed" })
        case .alreadyDone:
            return .ack(.with { $0.message = "already done" })
        case .staleLease:
            throw RequestError(.leaseLost, "group lease \(r.leaseID) expired before its result arrived: the result was discarded")
        }
    }

    func reportGroupFailure(_ r: Longshot_V1_ReportFailure) async throws -> Longshot_V1_Response.OneOf_Body {
        let info = try await currentGroup(r.leaseID)
        let backoff = config.retryBackoff
        let failure = try await database.run {
            try $0.failGroupLease(leaseID: r.leaseID, error: r.error, logTail: r.logTail, backoff: backoff)
        }
        groupLeases.withLock { _ = $0.removeValue(forKey: r.leaseID) }
        FarmMetrics.attemptFailed("group")
        if let info {
            log.info("job \(info.jobID) group \(info.index) failed: \(r.error)", metadata: ["job.id": "\(info.jobID)"])
            await publish(.make(.windowFailed, job: info.jobID, window: info.windows.lowerBound, "group \(info.index) failed: \(r.error)"), lease: r.leaseID)
            if case .retrying(let at) = failure.outcome { events.publishWorkAvailable("job \(info.jobID) group \(info.index) retry", at: at) }
        }
        return .ack(Longshot_V1_Ack())
    }
}
