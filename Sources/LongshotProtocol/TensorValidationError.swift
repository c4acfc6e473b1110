/// Why a `Tensor` is not what it claims to be.
public enum TensorValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dtype is unspecified or unknown to this build.
    case unsupportedDType(Longshot_V1_DType)
    /// A dimension is negative, or their product overflows.
    case invalidShape([Int64])
    /// `data` does not hold `product(shape) * size(dtype)` bytes.
    case byteCountMismatch(shape: [Int64], expectedBytes: Int, actualBytes: Int)
    /// `checksum` is not the FNV-1a 64 of `data`: the bytes were corrupted.
    case checksumMismatch(expected: UInt64, actual: UInt64)
    /// Building a tensor: the value count does not match the shape.
    case elementCountMismatch(shape: [Int64], expectedElements: Int, actualElements: Int)
    /// Reading values as a dtype the tensor does not have.
    case dtypeMismatch(expected: Longshot_V1_DType, actual: Longshot_V1_DType)

    public var description: String {
        switch self {
        case .unsupportedDType(let dtype):
            "tensor has unsupported dtype \(dtype)"
        case .invalidShape(let shape):
            "tensor shape \(shape) is invalid (negative or too large)"
        case .byteCountMismatch(let shape, let expected, let actual):
            "tensor of shape \(shape) needs \(expected) bytes but carries \(actual)"
        case .checksumMismatch(let expected, let actual):
            "tensor checksum mismatch: header says \(hex(expected)), data hashes to \(hex(actual)) (corrupted in transit?)"
        case .elementCountMismatch(let shape, let expected, let actual):
            "shape \(shape) holds \(expected) elements but \(actual) values were given"
        case .dtypeMismatch(let expected, let actual):
            "tensor is \(actual), not \(expected)"
        }
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}
