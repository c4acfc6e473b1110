import Foundation

extension Longshot_V1_DType {
    /// Bytes per element, or nil for an unspecified or unknown dtype.
    public var byteWidth: Int? {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .u8: 1
        default: nil
        }
    }
}

extension Longshot_V1_Tensor {
    /// Elements implied by `shape`.
    /// - Throws: ``TensorValidationError/invalidShape(_:)`` for a negative dimension or overflow.
    public func elementCount() throws(TensorValidationError) -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0, let d = Int(exactly: dim) else { throw .invalidShape(shape) }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { throw .invalidShape(shape) }
            count = product
        }
        return count
    }

    /// Checks dtype, byte count against shape, and the checksum.
    /// - Throws: ``TensorValidationError`` naming expected and actual values.
    public func validate() throws(TensorValidationError) {
        guard let width = dtype.byteWidth else { throw .unsupportedDType(dtype) }
        let (expectedBytes, overflow) = try elementCount().multipliedReportingOverflow(by: width)
        if overflow { throw .invalidShape(shape) }
        guard data.count == expectedBytes else {
            throw .byteCountMismatch(shape: shape, expectedBytes: expectedBytes, actualBytes: data.count)
        }
        let actual = FNV1a64.hash(data)
        guard actual == checksum else { throw .checksumMismatch(expected: checksum, actual: actual) }
    }

    /// Recomputes `checksum` from `data` (after filling `data` by hand).
    public mutating func updateChecksum() {
        checksum = FNV1a64.hash(data)
    }
}
