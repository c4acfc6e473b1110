import Foundation
import LongshotDiffusion
import LongshotJob
import LongshotProtocol
import LongshotRender
import LongshotVideo
import Synchronization

/// Sends the dashboard a preview of a lease's window or group at most once per `interval`: a few frames
/// decoded from the current prediction on a thread of its own, so the steps never wait for it. One at a
/// time; a preview that fails is dropped (previews are hints: the render never depends on them).
final class PreviewSender: Sendable {
    let leaseID: String
    let client: CoordinatorLink
    let plan: JobPlan
    let denoiser: any Denoiser
    let frames: Range<Int>
    let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, busy: Bool)>((nil, false))

    init(leaseID: String, client: CoordinatorLink, plan: JobPlan, denoiser: any Denoiser, frames: Range<Int>, interval: Duration) {
        self.leaseID = leaseID
        self.client = client
        self.plan = plan
        self.denoiser = denoiser
        self.frames = frames
        self.interval = interval
    }

    /// Whether a preview of `step` would be sent now (not the last step: the video follows it).
    func wants(_ step: Int) -> Bool {
        guard step < plan.spec.steps else { return false }
        return state.withLock { s in
            guard !s.busy, s.last.map({ ContinuousClock.now - $0 >= interval }) ?? true else { return false }
            s.busy = true
            s.last = .now
            return true
        }
    }

    /// Decodes, encodes and sends the preview of `step` (after ``wants(_:)`` said yes).
    func send(_ step: Int, prediction: @escaping @Sendable () -> [Float]) {
        Task {
            defer { state.withLock { $0.busy = false } }
            let made = try? await onThread(name: "preview") { [self] () -> (Data, PreviewStrip)? in
                guard let strip = try PreviewStrip.make(plan: plan, denoiser: denoiser, frames: frames, prediction: prediction()) else { return nil }
                return (try PNGEncoder.encode(rgb: strip.rgb, width: strip.width, height: strip.height), strip)
            }
            guard let (png, strip) = made ?? nil else { return }
            let report = Longshot_V1_ReportPreview.with {
                $0.leaseID = leaseID
                $0.step = UInt32(step)
                $0.png = png
                $0.width = UInt32(strip.width)
                $0.height = UInt32(strip.height)
                $0.videoFrames = strip.videoFrames.map { UInt32($0) }
            }
            _ = try? await client.call(.reportPreview(report))
        }
    }

    /// The tap a window's sampler calls.
    var tap: PredictionTap {
        PredictionTap(wants: { [self] in wants($0) }, take: { [self] step, prediction in send(step) { prediction } })
    }
}
