/// One timed prompt of a storyboard, in seconds; a plain prompt is a storyboard of one shot.
public struct Shot: Sendable, Hashable, Codable {
    public var start: Double
    public var end: Double
    public var prompt: String

    public init(start: Double, end: Double, prompt: String) {
        self.start = start
        self.end = end
        self.prompt = prompt
    }
}

/// What a window is conditioned on: every shot of the job, and for each of the window's latent frames how
/// much each shot applies (weights sum to 1; a transition blends two shots across a short span).
public struct WindowConditioning: Sendable, Hashable {
    public var shots: [Shot]
    /// `shotWeights[i][s]`: weight of shot `s` at the window's `i`-th latent frame.
    public var shotWeights: [[Float]]
    /// Absolute time in seconds of each of the window's latent frames.
    public var times: [Double]

    public init(shots: [Shot], shotWeights: [[Float]], times: [Double]) {
        self.shots = shots
        self.shotWeights = shotWeights
        self.times = times
    }
}
