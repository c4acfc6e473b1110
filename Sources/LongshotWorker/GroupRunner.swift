import Foundation
import Logging
import LongshotDiffusion
import LongshotDigest
import LongshotEngines
import LongshotJob
import LongshotLogging
import LongshotMetrics
import LongshotNoise
import LongshotProtocol
import LongshotRender
import LongshotWire
import Synchronization

/// Works one codenoise group lease: advances the group's windows step by step with ``GroupStepper``,
/// exchanging evidence and boundary pieces with the other groups through the coordinator's step barrier,
/// saves a checkpoint every `checkpoint_every` steps, and uploads the group's fused latents at the end.
struct GroupRunner: Sendable {
    let lease: Longshot_V1_LeaseGranted
    let client: CoordinatorLink
    let log: Logger
    /// The worker's last log lines, sent with a failure report.
    let tail: LogTail
    /// The worker's leases: says when the coordinator took this one back.
    let leases: WorkerLeases
    let engines: EngineRoster
    /// How often to send a preview (nil: never).
    let previewInterval: Duration?
    /// Asked to take a group of the job nobody holds (the barrier cannot complete without it).
    let adopt: @Sendable (_ jobID: String) -> Void
    /// How long one barrier request waits at the coordinator before it is asked again.
    static let barrierWait: UInt32 = 2000

    func run() async {
        let id = lease.leaseID
        let started = ContinuousClock.now
        let job = lease.jobID
        let name = "group \(lease.groupIndex)"
        var log = self.log
        log[metadataKey: "job.id"] = "\(job)"
        log[metadataKey: "group.index"] = "\(lease.groupIndex)"
        do {
            let spec = try JobSpec(wire: lease.job)
            let denoiser = try engines.denoiser(for: spec)
            let renderer = try WindowRenderer(spec: spec, denoiser: denoiser)
            let plan = renderer.plan
            let first = Int(lease.windowIndex)
            let windows = first..<(first + Int(lease.windowCount))
            guard windows.upperBound <= plan.windows.windows.count else {
                throw WorkerError("\(name) of \(job) is windows \(windows) but the job has \(plan.windows.windows.count) here: versions differ?")
            }
            let frames = plan.windows.frames(ofGroup: windows)
            guard frames.lowerBound == Int(lease.firstFrame), frames.count == Int(lease.frameCount) else {
                throw WorkerError("\(name) of \(job) is frames \(lease.firstFrame)+\(lease.frameCount) at the coordinator but \(frames.lowerBound)+\(frames.count) here: versions differ?")
            }
            let begin = Int(lease.stepBegin)
            log.info("job \(job) \(name): windows \(windows.lowerBound)-\(windows.upperBound - 1) (\(frames.count) latent frames), steps \(begin + 1)-\(spec.steps)")
            let models = try await onThread(name: "prepare-\(lease.groupIndex)") {
                try concurrentMap(windows.count) { k in try denoiser.prepare(window: plan.request(window: windows.lowerBound + k)) }
            }
            let initial = begin > 0 ? try lease.latents.latents(frames: frames.count, layout: plan.layout) : renderer.noise(frames: frames)
            var stepper = GroupStepper(
                fuser: LatentFuser(plan: plan.windows, layout: plan.layout),
                schedule: FlowSchedule(steps: spec.steps, shift: spec.shift), windows: windows, models: models,
                latents: initial, step: begin)
            let exchanging = lease.groupCount > 1
            let every = Int(max(lease.checkpointEvery, 1))
            let minInterval = Duration.milliseconds(Int(lease.checkpointMinIntervalMs))
            var lastCheckpoint = ContinuousClock.now
            var lastProgress = ContinuousClock.now
            var clock = GroupClock()
            var saving: Task<Void, any Error>?
            defer { saving?.cancel() }
            let previews = previewInterval.map {
                PreviewSender(leaseID: id, client: client, plan: plan, denoiser: denoiser, frames: frames, interval: $0)
            }
            while stepper.step < spec.steps {
                if leases.isRevoked(id) { throw LeaseStop.revoked }
                let stepStarted = ContinuousClock.now
                let step = stepper.step
                let current = stepper
                var evidence: [Double]?
                if current.sharesEvidence {
                    let parts = try await clock.measure(\.compute) {
                        try await onThread(name: "evidence-\(lease.groupIndex)") { current.evidenceParts() ?? [] }
                    }
                    if exchanging {
                        let posted = zip(windows, parts).map { w, values in
                            Longshot_V1_WindowEvidence.with { $0.windowIndex = UInt32(w); $0.values = values }
                        }
                        let all = try await clock.measure(\.barrier) { try await barrier(step: step, phase: .evidence, evidence: posted) }
                        let ordered = all.evidence.sorted { (a: Longshot_V1_WindowEvidence, b: Longshot_V1_WindowEvidence) in a.windowIndex < b.windowIndex }
                        let indices: [Int] = ordered.map { Int($0.windowIndex) }
                        guard indices == Array(0..<plan.windows.windows.count) else {
                            throw WorkerError("step \(step): the coordinator sent evidence of windows \(indices), not every window's")
                        }
                        evidence = totalEvidence(ordered.map { (e: Longshot_V1_WindowEvidence) in e.values })
                    } else {
                        evidence = totalEvidence(parts)
                    }
                }
                let shared = evidence
                let stepped = try await clock.measure(\.compute) {
                    try await onThread(name: "step-\(lease.groupIndex)") { try current.advance(evidence: shared) }
                }
                var incoming: [WindowPiece] = []
                if exchanging {
                    let layout = plan.layout
                    let pieces = try current.boundaryPieces(stepped).map { try Longshot_V1_WindowPiece($0, layout: layout) }
                    let reply = try await clock.measure(\.barrier) { try await barrier(step: step, phase: .halo, pieces: pieces) }
                    incoming = try reply.pieces.map { try $0.piece(layout: layout) }
                }
                let neighbours = incoming
                stepper = try await clock.measure(\.compute) {
                    try await onThread(name: "fuse-\(lease.groupIndex)") {
                        var next = current
                        try next.fuse(stepped: stepped, neighbours: neighbours)
                        return next
                    }
                }
                let done = stepper.step
                FarmMetrics.step(ContinuousClock.now - stepStarted, engine: spec.engine)
                if let previews, previews.wants(done) {
                    let before = current.latents, after = stepper.latents, schedule = stepper.schedule
                    previews.send(done) { schedule.prediction(before: before, after: after, step: step) }
                }
                if done % every == 0, done < spec.steps, ContinuousClock.now - lastCheckpoint >= minInterval {
                    lastCheckpoint = .now
                    // Uploaded while the next steps run; one at a time, in order.
                    try await clock.measure(\.checkpoints) { try await saving?.value }
                    let latents = stepper.latents, layout = plan.layout, count = frames.count, link = client
                    saving = Task {
                        let checkpoint = Longshot_V1_SaveCheckpoint.with {
                            $0.leaseID = id
                            $0.step = UInt32(done)
                            $0.latents = (try? Longshot_V1_Tensor(latents: latents, frames: count, layout: layout)) ?? .init()
                        }
                        try await link.callRetrying(.saveCheckpoint(checkpoint), for: .seconds(300))
                    }
                }
                if ContinuousClock.now - lastProgress > .milliseconds(250) || done == spec.steps {
                    lastProgress = .now
                    let report = Longshot_V1_ReportProgress.with {
                        $0.leaseID = id
                        $0.step = UInt32(done)
                        $0.steps = UInt32(spec.steps)
                    }
                    let progressClient = client
                    Task { _ = try? await progressClient.call(.reportProgress(report)) }
                }
            }
            try await clock.measure(\.checkpoints) { try await saving?.value }
            let latents = stepper.latents
            let result = Longshot_V1_ReportResult.with {
                $0.leaseID = id
                $0.latents = (try? Longshot_V1_Tensor(latents: latents, frames: frames.count, layout: plan.layout)) ?? .init()
                $0.digest = SHA256.hex(floats: latents)
            }
            let elapsed = ContinuousClock.now - started
            try await client.callRetrying(.reportResult(result), for: .seconds(300))
            log.info("job \(job) \(name): done in \(elapsed) (\(clock)), result uploaded")
            FarmMetrics.workerLease("done", kind: "group")
        } catch LeaseStop.revoked {
            log.info("job \(job) \(name): dropped, the lease was taken back")
        } catch let error as FarmCallError where error.isLeaseLost {
            log.info("job \(job) \(name): dropped: \(error.message)")
        } catch {
            log.error("job \(job) \(name) failed: \(error)")
            FarmMetrics.workerLease("failed", kind: "group")
            let failure = Longshot_V1_ReportFailure.with {
                $0.leaseID = id
                $0.error = "\(error)"
                $0.logTail = tail.text()
            }
            _ = try? await client.callRetrying(.reportFailure(failure), for: .seconds(60))
        }
    }

    /// Posts the group's part of a step and waits until the coordinator has what the group needs.
    /// Retries while the coordinator is away; a lost lease ends the group's work.
    private func barrier(
        step: Int, phase: Longshot_V1_ExchangePhase, evidence: [Longshot_V1_WindowEvidence] = [],
        pieces: [Longshot_V1_WindowPiece] = []
    ) async throws -> Longshot_V1_StepExchanged {
        let request = Longshot_V1_StepExchange.with {
            $0.leaseID = lease.leaseID
            $0.step = UInt32(step)
            $0.phase = phase
            $0.evidence = evidence
            $0.pieces = pieces
            $0.waitMs = Self.barrierWait
        }
        var pause = Duration.milliseconds(100)
        while true {
            do {
                guard case .stepExchanged(let reply) = try await client.call(.stepExchange(request)) else {
                    throw WorkerError("step \(step): unexpected reply to a step exchange")
                }
                if reply.ready { return reply }
                if reply.adopt { adopt(lease.jobID) }
            } catch let error as FarmCallError where error.isLeaseLost {
                throw LeaseStop.revoked
            } catch let error as FarmCallError where error.isRetryable {
                log.info("step \(step) barrier: \(error.message); retrying in \(pause)")
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}

/// Where a group's time goes: engine and fusion work, waiting at step barriers, saving checkpoints.
struct GroupClock: CustomStringConvertible {
    var compute: Duration = .zero
    var barrier: Duration = .zero
    var checkpoints: Duration = .zero

    mutating func measure<T>(_ part: WritableKeyPath<GroupClock, Duration>, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { self[keyPath: part] += ContinuousClock.now - start }
        return try await body()
    }

    var description: String {
        func s(_ d: Duration) -> String { String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) }
        return "compute \(s(compute)), barriers \(s(barrier)), checkpoints \(s(checkpoints))"
    }
}
