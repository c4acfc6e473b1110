import Foundation

extension Longshot_V1_Tensor {
    /// An F32 tensor of `values` (row-major) with the given shape, little-endian, checksummed.
    /// - Throws: ``TensorValidationError/elementCountMismatch(shape:expectedElements:actualElements:)``
    ///   when `values.count` is not the product of `shape`, or `.invalidShape` for a negative dimension.
    public init(float32 values: [Float], shape: [Int]) throws(TensorValidationError) {
        self.init()
        dtype = .f32
        self.shape = shape.map(Int64.init)
        let expected = try elementCount()
        guard expected == values.count else {
            throw .elementCountMismatch(shape: self.shape, expectedElements: expected, actualElements: values.count)
        }
        var bytes = Data(count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { source in
                #if _endian(little)
                    raw.copyMemory(from: UnsafeRawBufferPointer(source))
                #else
                    for (i, v) in source.enumerated() {
                        raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                    }
                #endif
            }
        }
        data = bytes
        updateChecksum()
    }

    /// The values of a valid F32 tensor, row-major.
    /// - Throws: ``TensorValidationError`` if the tensor is not F32 or fails ``validate()``.
    public func float32Values() throws(TensorValidationError) -> [Float] {
        guard dtype == .f32 else { throw .dtypeMismatch(expected: .f32, actual: dtype) }
        try validate()
        let count = data.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    buffer[i] = Float(bitPattern: bits)
                }
            }
            initialized = count
        }
    }
}
