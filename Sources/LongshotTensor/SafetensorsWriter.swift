import Foundation

/// Writes tensors to a safetensors file (F32, F16 or BF16), for fixtures and model export.
public enum SafetensorsWriter {
    /// One tensor to write and the dtype to store it in.
    public struct Item: Sendable {
        public var name: String
        public var tensor: Tensor
        public var dtype: SafetensorsFile.DType
        public init(name: String, tensor: Tensor, dtype: SafetensorsFile.DType = .f32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// Serialises `items` (in order) with an optional `__metadata__` map.
    /// - Throws: ``SafetensorsError/unsupportedDType(name:dtype:)`` for a dtype other than F32, F16, BF16.
    public static func encode(_ items: [Item], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for item in items {
            let begin = body.count
            switch item.dtype {
            case .f32:
                item.tensor.withUnsafeBufferPointer { p in
                    for x in p { withUnsafeBytes(of: x.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
                }
            case .f16:
                item.tensor.withUnsafeBufferPointer { p in
                    for x in p { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { body.append(contentsOf: $0) } }
                }
            case .bf16:
                item.tensor.withUnsafeBufferPointer { p in
                    for x in p { withUnsafeBytes(of: bfloat16Bits(x).littleEndian) { body.append(contentsOf: $0) } }
                }
            case .other:
                throw SafetensorsError.unsupportedDType(name: item.name, dtype: item.dtype)
            }
            header[item.name] = ["dtype": item.dtype.description, "shape": item.tensor.shape, "data_offsets": [begin, body.count]]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad so the data section is 8-byte aligned
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    /// Writes `items` to `path` atomically.
    public static func write(_ items: [Item], metadata: [String: String] = [:], to path: String) throws {
        try encode(items, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The bfloat16 nearest to `x` (round to nearest even; NaN stays NaN).
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let bits = x.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}
