/// A job parameter that is out of range; `description` is one line naming the value and the limit.
public struct JobSpecError: Error, Equatable, CustomStringConvertible, Sendable {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension JobSpec {
    /// The longest job accepted, in seconds (a documented maximum: 10 minutes).
    public static let maximumDuration: Double = 600
    public static let fpsRange = 1...120
    public static let widthRange = 32...3840
    public static let heightRange = 32...2160
    public static let stepsRange = 1...1000
    public static let crfRange = 0...51
    public static let guidanceRange = 1.0...30.0
    /// The longest prompt of one shot accepted, in bytes of UTF-8.
    public static let maximumPromptBytes = 4096
    /// The most shots a storyboard may have.
    public static let maximumShots = 1000
    /// The longest negative prompt accepted, in bytes of UTF-8.
    public static let maximumNegativePromptBytes = 4096

    /// Checks every parameter; the first problem found is thrown.
    public func validate(knownEngines: [String]) throws(JobSpecError) {
        guard duration.isFinite, duration > 0 else {
            throw JobSpecError("duration", "\(duration) s must be greater than 0")
        }
        guard duration <= Self.maximumDuration else {
            throw JobSpecError("duration", "\(duration) s is above the maximum of \(Int(Self.maximumDuration)) s")
        }
        guard Self.fpsRange.contains(fps) else {
            throw JobSpecError("fps", "\(fps) is out of range \(Self.fpsRange.lowerBound)-\(Self.fpsRange.upperBound)")
        }
        let frames = duration * Double(fps)
        guard abs(frames - frames.rounded()) < 1e-6 else {
            throw JobSpecError("duration", "\(duration) s at \(fps) fps is \(frames) frames; it must be a whole number")
        }
        guard Self.widthRange.contains(width), Self.heightRange.contains(height) else {
            throw JobSpecError(
                "size", "\(width)x\(height) is out of range (width \(Self.widthRange.lowerBound)-\(Self.widthRange.upperBound), height \(Self.heightRange.lowerBound)-\(Self.heightRange.upperBound))")
        }
        guard width % 2 == 0, height % 2 == 0 else {
            throw JobSpecError("size", "\(width)x\(height) must have even width and height (yuv420p)")
        }
        guard Self.stepsRange.contains(steps) else {
            throw JobSpecError("steps", "\(steps) is out of range \(Self.stepsRange.lowerBound)-\(Self.stepsRange.upperBound)")
        }
        guard window > 0 else { throw JobSpecError("window", "\(window) latent frames must be at least 1") }
        guard overlap >= 0, overlap < window else {
            throw JobSpecError("overlap", "\(overlap) must be at least 0 and smaller than the window (\(window))")
        }
        guard shift.isFinite, shift > 0 else { throw JobSpecError("shift", "\(shift) must be greater than 0") }
        guard Self.crfRange.contains(crf) else {
            throw JobSpecError("quality", "crf \(crf) is out of range \(Self.crfRange.lowerBound)-\(Self.crfRange.upperBound)")
        }
        if let guidance {
            guard guidance.isFinite, Self.guidanceRange.contains(guidance) else {
                throw JobSpecError(
                    "guidance", "\(guidance) is out of range \(Self.guidanceRange.lowerBound)-\(Self.guidanceRange.upperBound) (1 is no guidance)")
            }
        }
        guard shots.count <= Self.maximumShots else {
            throw JobSpecError("storyboard", "\(shots.count) shots is above the maximum of \(Self.maximumShots)")
        }
        if let long = shots.firstIndex(where: { $0.prompt.utf8.count > Self.maximumPromptBytes }) {
            throw JobSpecError(
                "prompt", "\(shots.count == 1 ? "the prompt" : "shot \(long + 1)'s prompt") is \(shots[long].prompt.utf8.count) bytes, above the maximum of \(Self.maximumPromptBytes)")
        }
        if let shot = shots.firstIndex(where: { $0.prompt.utf8.contains(0) }) {
            throw JobSpecError("prompt", "\(shots.count == 1 ? "the prompt" : "shot \(shot + 1)'s prompt") contains a NUL character (U+0000)")
        }
        guard !negativePrompt.utf8.contains(0) else { throw JobSpecError("negative-prompt", "contains a NUL character (U+0000)") }
        guard negativePrompt.utf8.count <= Self.maximumNegativePromptBytes else {
            throw JobSpecError(
                "negative-prompt", "\(negativePrompt.utf8.count) bytes is above the maximum of \(Self.maximumNegativePromptBytes)")
        }
        guard knownEngines.contains(engine) else {
            throw JobSpecError("engine", "unknown engine '\(engine)'; known engines: \(knownEngines.joined(separator: ", "))")
        }
        try Storyboard.validate(shots, duration: duration)
    }
}
