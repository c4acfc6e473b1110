import Foundation
import LongshotDiffusion
import LongshotEngines
import LongshotJob
import Synchronization

/// Parsed job specs and plans by job id: derived from the stored spec, cached only to save work
/// (a restart rebuilds them from PostgreSQL).
final class JobCatalog: Sendable {
    private let cache = Mutex<[String: JobPlan]>([:])

    func plan(jobID: String, specJSON: String) throws -> JobPlan {
        if let plan = cache.withLock({ $0[jobID] }) { return plan }
        let spec = try JSONDecoder().decode(JobSpec.self, from: Data(specJSON.utf8))
        let plan = try Self.plan(for: spec)
        cache.withLock { $0[jobID] = plan }
        return plan
    }

    static func plan(for spec: JobSpec) throws -> JobPlan {
        let denoiser = try EngineCatalog.denoiser(for: spec)
        return try JobPlan(spec: spec, layout: denoiser.layout(width: spec.width, height: spec.height))
    }

    static func encode(_ spec: JobSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(spec), as: UTF8.self)
    }
}
