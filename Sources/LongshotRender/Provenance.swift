import LongshotDigest
import LongshotJob

/// The metadata every Longshot video carries: who made it, how, and that it is AI-generated.
public enum Provenance {
    public static let version = "0.1.0"

    public static func tags(for plan: JobPlan, model: String) -> [String: String] {
        let spec = plan.spec
        return [
            "generator": "longshot \(version)",
            "encoder": "longshot \(version) (libx264)",
            "comment": "AI-generated video: synthesised by a diffusion model, not recorded.",
            "ai_generated": "true",
            "longshot_engine": spec.engine,
            "longshot_model": model,
            "longshot_seed": String(spec.seed),
            "longshot_prompt_sha256": SHA256.hex(spec.promptText),
            "longshot_fusion": spec.fusion.rawValue,
            "longshot_steps": String(spec.steps),
            "longshot_shift": String(spec.shift),
            "longshot_guidance": spec.guidance.map { String($0) } ?? "engine default",
            "longshot_negative_prompt": spec.negativePrompt,
            "longshot_seams": ranges(plan.seamVideoFrames),
            "longshot_transitions": ranges(plan.transitionVideoFrames),
        ]
    }

    /// "a-b,c-d" (inclusive frame numbers).
    static func ranges(_ ranges: [Range<Int>]) -> String {
        ranges.filter { !$0.isEmpty }.map { "\($0.lowerBound)-\($0.upperBound - 1)" }.joined(separator: ",")
    }

    /// Parses `ranges(_:)`'s output.
    public static func parseRanges(_ text: String) -> [Range<Int>] {
        text.split(separator: ",").compactMap { part in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[1] >= bounds[0] else { return nil }
            return bounds[0]..<(bounds[1] + 1)
        }
    }
}
