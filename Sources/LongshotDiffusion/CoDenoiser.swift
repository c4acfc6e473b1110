import LongshotPlanning

/// The `codenoise` fusion mode in one process (MultiDiffusion / Gen-L-Video): after every step the windows'
/// overlaps are fused, so neighbouring windows agree on their shared frames all the way down.
///
/// It is one ``GroupStepper`` holding every window; a farm splits the same steps into several groups, and
/// because both run the same arithmetic in the same order, both give the same bits.
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
        var group = GroupStepper(
            fuser: fuser, schedule: schedule, windows: 0..<models.count, models: models, latents: initial)
        while group.step < schedule.steps {
            let evidence = group.evidenceParts().map(totalEvidence)
            let stepped = try group.advance(evidence: evidence)
            try group.fuse(stepped: stepped, neighbours: [])
            progress(group.step)
        }
        return group.latents
    }
}
