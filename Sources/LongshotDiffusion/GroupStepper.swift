import Dispatch
import LongshotPlanning

/// Co-denoises a contiguous run of a plan's windows (a group) one step at a time: the unit of `codenoise`
/// work in one process (one group of every window) and on a farm worker (one group of several).
///
/// A step is: evidence (for models that share it) -> velocity and Euler step of every window -> fusion of
/// the group's frames from its own windows and the pieces of other groups' windows that overlap them.
/// The arithmetic and its order are the same whatever the grouping, so every grouping gives the same bits.
public struct GroupStepper: Sendable {
    public let fuser: LatentFuser
    public let schedule: FlowSchedule
    /// The group's window indices.
    public let windows: Range<Int>
    /// The group's latent frames: from its first window's start to its last window's end.
    public let frames: Range<Int>
    /// One model per window of the group, in order.
    public let models: [any WindowModel]
    /// Windows of other groups that overlap the group's frames: their pieces are needed after each step.
    public let neighbourWindows: [Int]
    /// Per window of the group, the frames other groups need of it (see ``boundaryPieces(_:)``).
    private let boundaries: [Range<Int>?]
    /// The group's fused latents on `frames` after `step` steps.
    public private(set) var latents: [Float]
    public private(set) var step: Int

    /// - Parameters:
    ///   - latents: The group's fused latents on its frames after `step` steps (its noise for step 0).
    public init(
        fuser: LatentFuser, schedule: FlowSchedule, windows: Range<Int>, models: [any WindowModel], latents: [Float],
        step: Int = 0
    ) {
        let plan = fuser.plan.windows
        precondition(!windows.isEmpty && windows.lowerBound >= 0 && windows.upperBound <= plan.count, "windows \(windows) not in the plan")
        precondition(models.count == windows.count, "one model per window")
        self.fuser = fuser
        self.schedule = schedule
        self.windows = windows
        self.frames = fuser.plan.frames(ofGroup: windows)
        precondition(latents.count == frames.count * fuser.layout.frameSize, "latents do not cover the group's frames")
        self.models = models
        self.neighbourWindows = fuser.plan.neighbours(ofGroup: windows)
        self.boundaries = windows.map { fuser.plan.boundary(ofWindow: $0, inGroup: windows) }
        self.latents = latents
        self.step = step
    }

    /// Whether every model shares evidence, so a step needs the job-wide evidence first.
    public var sharesEvidence: Bool { models.allSatisfy { $0 is any EvidenceSharingModel } }

    /// The window's frames in the group's latents.
    public func slice(window index: Int) -> [Float] {
        let n = fuser.layout.frameSize
        let w = fuser.plan.windows[index]
        return Array(latents[((w.start - frames.lowerBound) * n)..<((w.end - frames.lowerBound) * n)])
    }

    /// Each window's evidence at the current step (nil when the models do not share evidence).
    public func evidenceParts() -> [[Double]]? {
        guard sharesEvidence else { return nil }
        let t = schedule.time(ofStep: step)
        let parts = ConcurrentSlots<[Double]>(count: windows.count)
        DispatchQueue.concurrentPerform(iterations: windows.count) { k in
            let i = windows.lowerBound + k
            let model = models[k] as! any EvidenceSharingModel
            parts.set(k, .success(model.evidence(slice(window: i), t: t, frameWeights: fuser.shares(window: i))))
        }
        return try! parts.values()
    }

    /// Runs the current step's velocity and Euler step on every window (concurrently).
    /// - Parameter evidence: The job-wide evidence (``totalEvidence(_:)`` of every window's part) when the
    ///   models share it.
    /// - Returns: each window's stepped latents, in order, to fuse with ``fuse(stepped:neighbours:)``.
    public func advance(evidence: [Double]?) throws -> [[Float]] {
        let t = schedule.time(ofStep: step)
        let dt = schedule.delta(ofStep: step)
        let results = ConcurrentSlots<[Float]>(count: windows.count)
        DispatchQueue.concurrentPerform(iterations: windows.count) { k in
            do {
                var x = slice(window: windows.lowerBound + k)
                let v =
                    if let evidence, let model = models[k] as? any EvidenceSharingModel {
                        try model.velocity(x, t: t, evidence: evidence)
                    } else {
                        try models[k].velocity(x, t: t)
                    }
                eulerStep(&x, velocity: v, dt: dt)
                results.set(k, .success(x))
            } catch {
                results.set(k, .failure(error))
            }
        }
        return try results.values()
    }

    /// The parts of the stepped windows that other groups need: each window's frames that a window outside
    /// the group also covers (none when the group holds every window).
    public func boundaryPieces(_ stepped: [[Float]]) -> [WindowPiece] {
        let n = fuser.layout.frameSize
        return zip(windows, zip(boundaries, stepped)).compactMap { index, item in
            guard let shared = item.0 else { return nil }
            let local = (shared.lowerBound - fuser.plan.windows[index].start) * n
            return WindowPiece(
                window: index, firstFrame: shared.lowerBound, frames: shared.count,
                data: Array(item.1[local..<(local + shared.count * n)]))
        }
    }

    /// Fuses the group's frames from its stepped windows and the neighbours' pieces, and moves to the next step.
    /// - Throws: ``FusionError`` when a neighbour's piece is missing or misshapen.
    public mutating func fuse(stepped: [[Float]], neighbours: [WindowPiece]) throws(FusionError) {
        precondition(stepped.count == windows.count, "one stepped window per window of the group")
        let own = zip(windows, stepped).map { index, data in
            let w = fuser.plan.windows[index]
            return WindowPiece(window: index, firstFrame: w.start, frames: w.count, data: data)
        }
        let all = (own + neighbours.filter { !windows.contains($0.window) }).sorted { $0.window < $1.window }
        latents = try fuser.fuse(frames: frames, pieces: all)
        step += 1
    }
}

/// The job-wide evidence from every window's part, added in plan order so the total is the same bits
/// however the parts were computed or where.
public func totalEvidence(_ parts: [[Double]]) -> [Double] {
    guard let first = parts.first else { return [] }
    var total = [Double](repeating: 0, count: first.count)
    for part in parts {
        precondition(part.count == total.count, "evidence parts differ in length")
        for k in total.indices { total[k] += part[k] }
    }
    return total
}

/// Slots for concurrently computed results; each index is written by exactly one task.
final class ConcurrentSlots<Value>: @unchecked Sendable {
    // Safety: each slot is written by one concurrentPerform iteration only, and read after it returns.
    private let slots: UnsafeMutableBufferPointer<Result<Value, any Error>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ i: Int, _ value: Result<Value, any Error>) { slots[i] = value }

    func values() throws -> [Value] {
        try slots.map { try $0!.get() }
    }
}
