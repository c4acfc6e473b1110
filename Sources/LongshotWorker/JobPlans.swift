import LongshotDiffusion
import LongshotJob
import LongshotProtocol
import LongshotWire
import Synchronization

/// Each job's spec and plan, decoded and planned once per job rather than once per lease, for the few jobs
/// a worker holds leases of at a time. A plan depends on the engine's latent layout, kept with it; a lease
/// whose spec differs from the cached one (a rerun with other settings) decodes and plans afresh.
final class JobPlans: Sendable {
    private struct Entry {
        var wire: Longshot_V1_JobSpec
        var spec: JobSpec
        var plan: JobPlan?
    }

    private let cache = Mutex<[String: Entry]>([:])
    static let limit = 8

    /// The job's spec as the lease carries it.
    func spec(job: String, wire: Longshot_V1_JobSpec) throws -> JobSpec {
        if let hit = cache.withLock({ $0[job] }), hit.wire == wire { return hit.spec }
        let spec = try JobSpec(wire: wire)
        cache.withLock { cache in
            if cache.count >= Self.limit { cache.removeAll() }
            cache[job] = Entry(wire: wire, spec: spec)
        }
        return spec
    }

    /// The job's plan for `spec` (from ``spec(job:wire:)``) in `layout`.
    func plan(job: String, spec: JobSpec, layout: LatentLayout) throws -> JobPlan {
        if let plan = cache.withLock({ $0[job]?.plan }), plan.spec == spec, plan.layout == layout { return plan }
        let plan = try JobPlan(spec: spec, layout: layout)
        cache.withLock { $0[job]?.plan = plan }
        return plan
    }
}
