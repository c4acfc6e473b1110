import Dispatch
import LongshotPlanning

/// The `codenoise` fusion mode in one process (MultiDiffusion / Gen-L-Video): after every step the windows'
/// overlaps are fused, so neighbouring windows agree on their shared frames all the way down.
public struct CoDenoiser: Sendable {
    public let fuser: LatentFuser
    public let schedule: FlowSchedule

    public init(fuser: LatentFuser, schedule: FlowSchedule) {
        self.fuser = fuser
        self.schedule = schedule
    }

    /// Runs all steps from `initial` (the whole job's noise) with one model per window.
    /// Windows of a step run concurrently; fusion order is fixed, so the result does not depend on threads.
    public func run(
        initial: [Float], models: [any WindowModel], progress: @Sendable (_ step: Int) -> Void = { _ in }
    ) throws -> [Float] {
        precondition(models.count == fuser.plan.windows.count, "one model per window")
        var x = initial
        let count = models.count
        for step in 0..<schedule.steps {
            let t = schedule.time(ofStep: step)
            let dt = schedule.delta(ofStep: step)
            let results = WindowResults(count: count)
            let current = x
            let evidence = sharedEvidence(current, models: models, t: t)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do {
                    var xi = fuser.slice(current, window: i)
                    let v =
                        if let evidence, let model = models[i] as? any EvidenceSharingModel {
                            try model.velocity(xi, t: t, evidence: evidence)
                        } else {
                            try models[i].velocity(xi, t: t)
                        }
                    eulerStep(&xi, velocity: v, dt: dt)
                    results.set(i, .success(xi))
                } catch {
                    results.set(i, .failure(error))
                }
            }
            x = fuser.fuse(try results.values())
            progress(step + 1)
        }
        return x
    }
}

extension CoDenoiser {
    /// The job-wide evidence when every window's model shares it: per-window sums (each frame weighted by
    /// the window's share of it) added in plan order, so the total does not depend on threads.
    func sharedEvidence(_ x: [Float], models: [any WindowModel], t: Float) -> [Double]? {
        let sharing = models.compactMap { $0 as? any EvidenceSharingModel }
        guard sharing.count == models.count, !sharing.isEmpty else { return nil }
        let parts = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: sharing.count)
        parts.initialize(repeating: [])
        defer {
            parts.deinitialize()
            parts.deallocate()
        }
        let slots = EvidenceSlots(parts)
        DispatchQueue.concurrentPerform(iterations: sharing.count) { i in
            slots.set(i, sharing[i].evidence(fuser.slice(x, window: i), t: t, frameWeights: fuser.shares(window: i)))
        }
        var total = [Double](repeating: 0, count: parts[0].count)
        for part in parts {
            for k in total.indices { total[k] += part[k] }
        }
        return total
    }
}

/// Per-window evidence written by concurrent iterations, one slot each.
struct EvidenceSlots: @unchecked Sendable {
    // Safety: each slot is written by one concurrentPerform iteration and read after it returns.
    let buffer: UnsafeMutableBufferPointer<[Double]>
    init(_ buffer: UnsafeMutableBufferPointer<[Double]>) { self.buffer = buffer }
    func set(_ i: Int, _ value: [Double]) { buffer[i] = value }
}

/// Slots for concurrently computed per-window results; each index is written by exactly one task.
final class WindowResults: @unchecked Sendable {
    // Safety: each slot is written by one concurrentPerform iteration only, and read after it returns.
    private let slots: UnsafeMutableBufferPointer<Result<[Float], any Error>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ i: Int, _ value: Result<[Float], any Error>) { slots[i] = value }

    func values() throws -> [[Float]] {
        try slots.map { try $0!.get() }
    }
}
