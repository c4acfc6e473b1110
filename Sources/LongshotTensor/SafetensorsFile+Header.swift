import Foundation

extension SafetensorsFile {
    /// Parses and validates the JSON header: every entry's dtype, shape and byte range against the data size.
    static func parseHeader(_ header: Data, path: String, dataSize: Int) throws -> ([String: Entry], [String: String]) {
        func fail(_ reason: String) -> SafetensorsError { .invalidHeader(path: path, reason: reason) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw fail("header is not valid JSON (\(header.count) bytes)")
        }
        guard let root = object as? [String: Any] else { throw fail("header is not a JSON object") }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else { throw fail("__metadata__ is not a string map") }
                metadata = strings
                continue
            }
            guard let fields = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dtypeName = fields["dtype"] as? String else { throw fail("entry '\(name)' has no dtype string") }
            guard let shapeNumbers = fields["shape"] as? [NSNumber], shapeNumbers.allSatisfy({ $0.intValue >= 0 }) else {
                throw fail("entry '\(name)' has no shape of non-negative integers")
            }
            guard let offsets = fields["data_offsets"] as? [NSNumber], offsets.count == 2 else {
                throw fail("entry '\(name)' has no data_offsets pair")
            }
            let shape = shapeNumbers.map(\.intValue)
            let begin = offsets[0].intValue, end = offsets[1].intValue
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("entry '\(name)' data_offsets [\(begin), \(end)] fall outside the \(dataSize) data bytes")
            }
            let dtype = DType(dtypeName)
            let count = shape.reduce(1, *)
            if let width = dtype.byteWidth, end - begin != count * width {
                throw fail("entry '\(name)' holds \(end - begin) bytes, \(dtype) \(shape) needs \(count * width)")
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        return (entries, metadata)
    }
}
