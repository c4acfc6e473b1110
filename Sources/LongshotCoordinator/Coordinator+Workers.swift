import Foundation
import LongshotDigest
import LongshotJob
import LongshotMetrics
import LongshotProtocol
import LongshotStore
import LongshotWire

extension Coordinator {
    func registerWorker(_ r: Longshot_V1_RegisterWorker, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        guard !r.name.isEmpty, !r.offers.isEmpty, r.offers.allSatisfy({ !$0.name.isEmpty && !$0.name.contains(",") }) else {
            throw RequestError(.invalidArgument, "a worker needs a name and at least one named engine (this worker reports none: upgrade it)")
        }
        let names = r.offers.map(\.name).sorted().joined(separator: ",")
        let offers = "[" + (try r.offers.map { try $0.jsonString() }).joined(separator: ",") + "]"
        let session = Self.newSession()
        let info = WorkerInfo(
            name: r.name, host: r.host, pid: Int(r.pid), engine: names, slots: Int(max(r.slots, 1)), version: r.version,
            offers: offers, sessionSHA256: session.sha256, credential: caller.identity.name)
        let id = try await database.run { try $0.registerWorker(info) }
        sessions.withLock { cache in
            // The worker's earlier session ends with this registration.
            cache = cache.filter { $0.value != id }
            cache[session.sha256] = id
        }
        log.info("worker \(r.name) (\(id)) joined from \(r.host) pid \(r.pid) with credential \(caller.identity.name): engines \(names), \(r.slots) slot(s)")
        events.publish(.make(.workerJoined, "worker \(r.name) joined (\(names), \(r.slots) slots)"))
        return .workerRegistered(.with {
            $0.workerID = id
            // Heartbeats renew the worker's leases: at least three per lease TTL.
            $0.heartbeatIntervalMs = UInt32(min(config.heartbeatInterval, config.leaseTTL / 3).milliseconds)
            $0.leaseTtlMs = UInt32(config.leaseTTL.milliseconds)
            $0.session = session.secret
        })
    }

    /// Notes the worker alive, renews every lease it names (no RenewLease per lease), and tells it which
    /// of them are no longer its own and whether it is drained.
    func heartbeat(_ r: Longshot_V1_Heartbeat) async throws -> Longshot_V1_Response.OneOf_Body {
        let ttl = config.leaseTTL, id = r.workerID, leases = Array(Set(r.activeLeaseIds))
        guard let beat = try await database.run({ try $0.heartbeat(workerID: id, leases: leases, ttl: ttl) }) else {
            throw RequestError(.notFound, "unknown worker \(r.workerID): register again")
        }
        engineStates.withLock { $0[r.workerID] = r.engines }
        let revoked = leases.filter { !beat.renewed.contains($0) }
        if !revoked.isEmpty {
            leaseWindows.withLock { map in revoked.forEach { map.removeValue(forKey: $0) } }
            log.info("worker \(id): \(revoked.count) lease(s) no longer its own: \(revoked.joined(separator: ", "))")
        }
        return .heartbeatAck(.with {
            $0.revokedLeaseIds = revoked
            $0.drain = beat.drain
            $0.renewedUntilMs = Int64((Date().timeIntervalSince1970 + ttl.secondsValue) * 1000)
        })
    }

    func acquireLease(_ r: Longshot_V1_AcquireLease) async throws -> Longshot_V1_Response.OneOf_Body {
        let ttl = config.leaseTTL
        // Segments first: they finish jobs whose windows are done.
        if r.adoptJobID.isEmpty, let segment = try await acquireSegment(workerID: r.workerID) {
            return .leaseGranted(segment)
        }
        if let group = try await acquireGroup(workerID: r.workerID, adopt: r.adoptJobID.isEmpty ? nil : r.adoptJobID) {
            return .leaseGranted(group)
        }
        guard r.adoptJobID.isEmpty else {
            return .noWork(.with { $0.retryAfterMs = UInt32(clamping: config.idleRetryAfter.milliseconds) })
        }
        guard let lease = try await database.run({ try $0.acquireLease(workerID: r.workerID, ttl: ttl) }) else {
            return .noWork(.with { $0.retryAfterMs = UInt32(clamping: config.idleRetryAfter.milliseconds) })
        }
        let plan = try jobs.plan(jobID: lease.jobID, specJSON: lease.spec)
        leaseWindows.withLock { $0[lease.leaseID] = (lease.jobID, lease.windowIndex) }
        FarmMetrics.leaseGranted("window")
        await publish(.make(.windowLeased, job: lease.jobID, window: lease.windowIndex, "window \(lease.windowIndex) leased (attempt \(lease.attempt))"), lease: lease.leaseID)
        return .leaseGranted(.with {
            $0.leaseID = lease.leaseID
            $0.jobID = lease.jobID
            $0.windowIndex = UInt32(lease.windowIndex)
            $0.firstFrame = UInt32(lease.firstFrame)
            $0.frameCount = UInt32(lease.frameCount)
            $0.job = plan.spec.wire
            $0.expiresAtMs = Int64(lease.expiresAt.timeIntervalSince1970 * 1000)
            $0.stepBegin = 0
            $0.stepEnd = UInt32(plan.spec.steps)
        })
    }

    func renewLease(_ r: Longshot_V1_RenewLease) async throws -> Longshot_V1_Response.OneOf_Body {
        let ttl = config.leaseTTL
        guard try await database.run({ try $0.renewLease(leaseID: r.leaseID, ttl: ttl) }) else {
            throw RequestError(.leaseLost, "lease \(r.leaseID) is no longer yours (expired, cancelled or rerun): drop the work")
        }
        return .leaseRenewed(.with {
            $0.expiresAtMs = Int64((Date().timeIntervalSince1970 + ttl.secondsValue) * 1000)
        })
    }

    func reportProgress(_ r: Longshot_V1_ReportProgress) async throws -> Longshot_V1_Response.OneOf_Body {
        if Self.isGroupLease(r.leaseID) { return try await reportGroupProgress(r) }
        if Self.isSegmentLease(r.leaseID) { return .ack(Longshot_V1_Ack()) }
        var window = leaseWindows.withLock { $0[r.leaseID] }
        if window == nil, let found = try await database.run({ try $0.windowForLease(leaseID: r.leaseID) }) {
            window = (found.jobID, found.index)
            leaseWindows.withLock { $0[r.leaseID] = window }
        }
        guard let window else {
            throw RequestError(.leaseLost, "lease \(r.leaseID) is no longer current: drop the work")
        }
        await publish(.with {
            $0.kind = .windowProgress
            $0.jobID = window.job
            $0.windowIndex = UInt32(window.index)
            $0.message = "window \(window.index): step \(r.step)/\(r.steps)"
            $0.step = r.step
            $0.steps = r.steps
        }, lease: r.leaseID)
        return .ack(Longshot_V1_Ack())
    }

    func reportResult(_ r: Longshot_V1_ReportResult) async throws -> Longshot_V1_Response.OneOf_Body {
        if Self.isGroupLease(r.leaseID) { return try await reportGroupResult(r) }
        if Self.isSegmentLease(r.leaseID) { return try await reportSegmentResult(r) }
        // Validate the upload against the window it claims to be before anything is stored.
        guard let window = try await database.run({ try $0.windowForLease(leaseID: r.leaseID) }) else {
            throw RequestError(.leaseLost, "lease \(r.leaseID) is not current: the result was discarded")
        }
        let plan = try jobs.plan(jobID: window.jobID, specJSON: window.spec)
        let latents: [Float]
        do {
            latents = try r.latents.latents(frames: window.frameCount, layout: plan.layout)
        } catch {
            throw RequestError(.invalidArgument, "result for job \(window.jobID) window \(window.index): \(error)")
        }
        let digest = SHA256.hex(floats: latents)
        guard r.digest.isEmpty || r.digest == digest else {
            throw RequestError(.invalidArgument, "result for window \(window.index): digest \(r.digest) does not match the data (\(digest))")
        }
        let bytes = latents.withUnsafeBytes { Array($0) }
        let started = window.leasedAt
        let duration = Int64(max(0, Date().timeIntervalSince(started)) * 1000)
        let outcome = try await database.run {
            try $0.completeLease(leaseID: r.leaseID, result: bytes, digest: digest, durationMs: duration)
        }
        leaseWindows.withLock { _ = $0.removeValue(forKey: r.leaseID) }
        switch outcome {
        case .committed:
            FarmMetrics.windowDone(after: .milliseconds(duration), kind: "window")
            FarmMetrics.bytes(bytes.count, "results")
            await publish(.make(.windowDone, job: window.jobID, window: window.index, "window \(window.index) done"), lease: r.leaseID)
            await finishIfComplete(jobID: window.jobID)
            return .ack(.with { $0.message = "committed" })
        case .alreadyDone:
            return .ack(.with { $0.message = "already done" })
        case .staleLease:
            throw RequestError(.leaseLost, "lease \(r.leaseID) expired before its result arrived: the result was discarded")
        }
    }

    func reportFailure(_ r: Longshot_V1_ReportFailure) async throws -> Longshot_V1_Response.OneOf_Body {
        if Self.isGroupLease(r.leaseID) { return try await reportGroupFailure(r) }
        if Self.isSegmentLease(r.leaseID) { return try await reportSegmentFailure(r) }
        let backoff = config.retryBackoff
        let window = try await database.run { try $0.windowForLease(leaseID: r.leaseID) }
        let failure = try await database.run {
            try $0.failLease(leaseID: r.leaseID, error: r.error, logTail: r.logTail, backoff: backoff)
        }
        leaseWindows.withLock { _ = $0.removeValue(forKey: r.leaseID) }
        FarmMetrics.attemptFailed("window")
        if let window {
            let what: String
            switch failure.outcome {
            case .retrying(let notBefore):
                what = "will retry after \(ISO8601DateFormatter().string(from: notBefore))"
                events.publishWorkAvailable("job \(window.jobID) window \(window.index) retry", at: notBefore)
            case .windowFailed: what = "attempts used up: the job failed"
            case .staleLease: what = "lease was no longer current"
            }
            log.info("job \(window.jobID) window \(window.index) failed: \(r.error) (\(what))", metadata: ["job.id": "\(window.jobID)"])
            await publish(.make(.windowFailed, job: window.jobID, window: window.index, "window \(window.index) failed: \(r.error); \(what)"), lease: r.leaseID)
        }
        return .ack(Longshot_V1_Ack())
    }
}

extension Duration {
    var milliseconds: Int64 {
        let c = components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
    var secondsValue: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
