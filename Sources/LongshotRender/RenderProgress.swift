/// The stages of a render, in order.
public enum RenderStage: String, Sendable, CaseIterable {
    case prepare, engine, fusion, decode, encode
}

/// A progress report: `done` of `total` units of `stage`: windows prepared, window steps denoised (in
/// both fusion modes), frames encoded.
public struct RenderProgress: Sendable {
    public var stage: RenderStage
    public var done: Int
    public var total: Int
    public var unit: String

    public init(stage: RenderStage, done: Int, total: Int, unit: String) {
        (self.stage, self.done, self.total, self.unit) = (stage, done, total, unit)
    }
}

/// Wall time per stage and what was made.
public struct RenderSummary: Sendable {
    public var videoFrames: Int
    public var latentFrames: Int
    public var windows: Int
    public var seconds: [RenderStage: Double]
    public var total: Double
    public var ignoredWords: [String]
    public var outputBytes: Int
}
