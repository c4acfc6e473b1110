/// How windows are brought together.
public enum FusionMode: String, Sendable, Codable, CaseIterable {
    /// Every window runs all steps alone; windows are cross-faded at the end.
    case independent
    /// The overlaps are fused after every step (MultiDiffusion / Gen-L-Video).
    case codenoise
}
