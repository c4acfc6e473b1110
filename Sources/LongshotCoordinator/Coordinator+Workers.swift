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

    /// One lease (a worker of before PullWork, or a codenoise group to adopt beyond the worker's slots).
    func acquireLease(_ r: Longshot_V1_AcquireLease) async throws -> Longshot_V1_Response.OneOf_Body {
        let noWork = Longshot_V1_Response.OneOf_Body.noWork(.with { $0.retryAfterMs = UInt32(clamping: config.idleRetryAfter.milliseconds) })
        if !r.adoptJobID.isEmpty {
            guard let group = try await acquireGroup(workerID: r.workerID, adopt: r.adoptJobID) else { return noWork }
            return .leaseGranted(group)
        }
        guard let lease = try await grant(1, idleSlots: 1, workerID: r.workerID).first else { return noWork }
        return .leaseGranted(lease)
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

    /// One result: a segment's or a group's, or a window's from a worker of before PullWork.
    func reportResult(_ r: Longshot_V1_ReportResult, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        if Self.isGroupLease(r.leaseID) { return try await reportGroupResult(r) }
        if Self.isSegmentLease(r.leaseID) { return try await reportSegmentResult(r) }
        guard let outcome = try await commitResults([r], workerID: caller.workerID ?? "").first else {
            throw RequestError(.internal, "no outcome for lease \(r.leaseID)")
        }
        guard outcome.hasError else { return .ack(.with { $0.message = "committed" }) }
        throw RequestError(outcome.error.code, outcome.error.message)
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
