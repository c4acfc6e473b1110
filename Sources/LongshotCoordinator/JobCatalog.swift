import Foundation
import LongshotDiffusion
import LongshotJob
import LongshotProtocol
import LongshotWire
import Synchronization

/// Parsed job specs and plans by job id: derived from the stored spec and the latent layout it was planned
/// with (from the engine report of a worker at submit), cached only to save work (a restart rebuilds them
/// from PostgreSQL). No engine is loaded to plan.
final class JobCatalog: Sendable {
    private let cache = Mutex<[String: JobPlan]>([:])
    private let wires = Mutex<[String: Longshot_V1_JobSpec]>([:])

    func plan(jobID: String, specJSON: String) throws -> JobPlan {
        if let plan = cache.withLock({ $0[jobID] }) { return plan }
        let spec = try JSONDecoder().decode(JobSpec.self, from: Data(specJSON.utf8))
        let stored = try JSONDecoder().decode(Planned.self, from: Data(specJSON.utf8))
        let plan = try JobPlan(spec: spec, layout: stored.plannedLayout ?? Self.legacyLayout(spec))
        cache.withLock { $0[jobID] = plan }
        return plan
    }

    /// The job's spec as leases carry it, converted once per job.
    func wire(jobID: String, plan: JobPlan) -> Longshot_V1_JobSpec {
        if let wire = wires.withLock({ $0[jobID] }) { return wire }
        let wire = plan.spec.wire
        wires.withLock { $0[jobID] = wire }
        return wire
    }

    /// Drops a job's plan (the job ended or was deleted; a later `plan` parses it again).
    func forget(jobID: String) {
        cache.withLock { _ = $0.removeValue(forKey: jobID) }
        wires.withLock { _ = $0.removeValue(forKey: jobID) }
    }

    /// The spec as stored: its fields and the layout it was planned with.
    static func encode(_ plan: JobPlan) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(plan.spec)) as? [String: Any] ?? [:]
        object["plannedLayout"] = try JSONSerialization.jsonObject(with: try encoder.encode(plan.layout))
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    private struct Planned: Decodable {
        var plannedLayout: LatentLayout?
    }

    /// Jobs stored before plans kept their layout ran the built-in engines, whose layout is fixed: RGB at a
    /// quarter of the resolution and half the frame rate.
    static func legacyLayout(_ spec: JobSpec) throws -> LatentLayout {
        guard ["procedural", "synthetic"].contains(spec.engine) else {
            throw RequestError(.internal, "job planned by an older coordinator for engine \(spec.engine): rerun it")
        }
        return LatentLayout(channels: 3, height: (spec.height + 3) / 4, width: (spec.width + 3) / 4, temporalFactor: 2, spatialFactor: 4)
    }
}
