/// A safetensors file that cannot be read, or a tensor in it that is not what the caller expects.
///
/// `description` is one line naming the file or tensor, what was expected and what was found.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(path: String, reason: String)
    /// The header is missing, truncated or not the JSON the format prescribes.
    case invalidHeader(path: String, reason: String)
    /// No tensor of that name is stored.
    case missingTensor(name: String, path: String, available: Int)
    /// The stored shape differs from the expected one.
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    /// The stored dtype differs from the expected one.
    case dtypeMismatch(name: String, expected: SafetensorsFile.DType, actual: SafetensorsFile.DType)
    /// The stored dtype cannot be converted to F32.
    case unsupportedDType(name: String, dtype: SafetensorsFile.DType)
    /// A destination buffer of the wrong size was passed.
    case destinationSize(name: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open safetensors file \(path): \(reason)"
        case let .invalidHeader(path, reason):
            return "invalid safetensors header in \(path): \(reason)"
        case let .missingTensor(name, path, available):
            return "tensor '\(name)' not found in \(path) (\(available) tensors stored)"
        case let .shapeMismatch(name, expected, actual):
            return "tensor '\(name)': expected shape \(expected), file has \(actual)"
        case let .dtypeMismatch(name, expected, actual):
            return "tensor '\(name)': expected dtype \(expected), file has \(actual)"
        case let .unsupportedDType(name, dtype):
            return "tensor '\(name)': dtype \(dtype) cannot be read as F32 (supported: F32, F16, BF16)"
        case let .destinationSize(name, expected, actual):
            return "tensor '\(name)': destination holds \(actual) scalars, tensor has \(expected)"
        }
    }
}
