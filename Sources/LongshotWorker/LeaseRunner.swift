import Foundation
import Logging
import LongshotEngines
import LongshotJob
import LongshotLogging
import LongshotMetrics
import LongshotProtocol
import LongshotRender
import LongshotWire
import Synchronization

/// Why a lease's work stopped early.
enum LeaseStop: Error {
    /// The coordinator took the lease back (expired, cancelled, rerun): drop the work.
    case revoked
}

/// Works one window lease: renders the window on its own thread, reports progress while it runs (the
/// heartbeat renews the lease), and returns the result for the pump to hand in with the next pull; a
/// failure is reported at once.
struct LeaseRunner: Sendable {
    let lease: Longshot_V1_LeaseGranted
    let client: CoordinatorLink
    let log: Logger
    /// The worker's last log lines, sent with a failure report.
    let tail: LogTail
    /// The worker's leases: says when the coordinator took this one back.
    let leases: WorkerLeases
    /// Models loaded by earlier leases of this worker.
    let engines: EngineRoster
    /// Jobs' plans, made once per job.
    let plans: JobPlans
    /// How often to send a preview (nil: never).
    let previewInterval: Duration?

    func run() async -> Longshot_V1_ReportResult? {
        let id = lease.leaseID
        let lastProgress = Mutex<ContinuousClock.Instant>(.now)

        let started = ContinuousClock.now
        let job = lease.jobID, index = Int(lease.windowIndex)
        var log = self.log
        log[metadataKey: "job.id"] = "\(job)"
        log[metadataKey: "window.index"] = "\(index)"
        do {
            let spec = try plans.spec(job: job, wire: lease.job)
            let denoiser = try engines.denoiser(for: spec)
            let plan = try plans.plan(job: job, spec: spec, layout: try denoiser.layout(width: spec.width, height: spec.height))
            let renderer = WindowRenderer(plan: plan, denoiser: denoiser)
            let window = renderer.plan.windows.windows[index]
            guard window.start == Int(lease.firstFrame), window.count == Int(lease.frameCount) else {
                throw WorkerError("window \(index) of \(job) is frames \(lease.firstFrame)+\(lease.frameCount) at the coordinator but \(window.start)+\(window.count) here: versions differ?")
            }
            log.info("job \(job) window \(index): rendering \(window.count) latent frames, \(spec.steps) steps")
            let progressClient = client
            let lastStep = Mutex(ContinuousClock.now)
            let previews = previewInterval.map {
                PreviewSender(leaseID: id, client: client, plan: renderer.plan, denoiser: denoiser, frames: window.frames, interval: $0)
            }
            let latents = try await onThread(name: "window-\(index)") {
                try renderer.render(window: index, tap: previews?.tap) { step in
                    if leases.isRevoked(id) { throw LeaseStop.revoked }
                    let stepTime = lastStep.withLock { last -> Duration in
                        defer { last = .now }
                        return ContinuousClock.now - last
                    }
                    FarmMetrics.step(stepTime, engine: spec.engine)
                    let due = lastProgress.withLock { last -> Bool in
                        // Not after the last step: the result says as much.
                        guard ContinuousClock.now - last > .milliseconds(250), step < spec.steps else { return false }
                        last = .now
                        return true
                    }
                    if due {
                        let report = Longshot_V1_ReportProgress.with {
                            $0.leaseID = id
                            $0.step = UInt32(step)
                            $0.steps = UInt32(spec.steps)
                        }
                        Task { _ = try? await progressClient.call(.reportProgress(report)) }
                    }
                }
            }
            let tensor = try Longshot_V1_Tensor(latents: latents, frames: window.count, layout: renderer.plan.layout)
            // No digest: the coordinator hashes what it stores.
            let result = Longshot_V1_ReportResult.with {
                $0.leaseID = id
                $0.latents = tensor
            }
            log.info("job \(job) window \(index): done in \(ContinuousClock.now - started)")
            FarmMetrics.workerLease("done", kind: "window")
            return result
        } catch {
            await settleFailedLease(error, leaseID: id, what: "job \(job) window \(index)", client: client, log: log, tail: tail)
            return nil
        }
    }
}

/// An error of the worker itself, with its message.
struct WorkerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
