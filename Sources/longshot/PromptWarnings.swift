import LongshotJob
import LongshotProcedural

/// Warnings about a job's prompts that the engine will not follow, said before any work.
enum PromptWarnings {
    /// One line per shot whose prompt the procedural engine cannot draw (it names no shape it knows).
    static func lines(for spec: JobSpec) -> [String] {
        guard spec.engine == "procedural" else { return [] }
        var seen = Set<String>()
        return spec.shots.compactMap { shot in
            guard seen.insert(shot.prompt).inserted else { return nil }
            return PromptParser.warning(for: shot.prompt).map { "warning: " + $0 }
        }
    }
}
