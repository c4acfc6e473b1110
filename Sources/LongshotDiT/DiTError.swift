/// Why a DiT could not be loaded or run; `description` is one line.
public enum DiTError: Error, Equatable, CustomStringConvertible {
    /// `config.json` is unreadable or inconsistent.
    case invalidConfiguration(path: String, reason: String)
    /// The latent grid does not fit the model (channels, or a size not divisible by the patch).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(path, reason): return "invalid DiT config \(path): \(reason)"
        case let .invalidInput(reason): return "invalid DiT input: \(reason)"
        }
    }
}
