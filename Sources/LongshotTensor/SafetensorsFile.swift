import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A memory-mapped safetensors file: the header parsed up front, tensors converted to F32 on demand.
///
/// The mapping is read-only and never changes after `init`, so the type is `@unchecked Sendable`: any
/// number of threads may read tensors concurrently. `deinit` unmaps the file.
public final class SafetensorsFile: @unchecked Sendable {
    /// A stored element type.
    public enum DType: Equatable, Sendable, CustomStringConvertible {
        case f32, f16, bf16
        /// Any other dtype the format allows (I64, F64, U8, ...): listed, but not readable as F32.
        case other(String)

        /// Parses the header's dtype string.
        public init(_ name: String) {
            switch name {
            case "F32": self = .f32
            case "F16": self = .f16
            case "BF16": self = .bf16
            default: self = .other(name)
            }
        }

        /// The header's dtype string.
        public var description: String {
            switch self {
            case .f32: return "F32"
            case .f16: return "F16"
            case .bf16: return "BF16"
            case let .other(name): return name
            }
        }

        /// Bytes per element, or `nil` when unknown.
        public var byteWidth: Int? {
            switch self {
            case .f32: return 4
            case .f16, .bf16: return 2
            case let .other(name):
                switch name {
                case "F64", "I64", "U64": return 8
                case "I32", "U32": return 4
                case "I16", "U16": return 2
                case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
                default: return nil
                }
            }
        }
    }

    /// One stored tensor's header entry.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let byteRange: Range<Int>
        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The file's path.
    public let path: String
    /// Every stored tensor by name.
    public let entries: [String: Entry]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]

    private let mapping: UnsafeMutableRawPointer
    private let mappedSize: Int
    private let dataStart: Int

    /// Maps the file and parses its header.
    /// - Throws: ``SafetensorsError/cannotOpen(path:reason:)`` or ``SafetensorsError/invalidHeader(path:reason:)``.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafetensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw SafetensorsError.invalidHeader(path: path, reason: "file is \(size) bytes, shorter than the 8-byte header length")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1)
        else { throw SafetensorsError.cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno))) }
        do {
            let headerLength = Int(clamping: UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
            guard headerLength <= size - 8 else {
                throw SafetensorsError.invalidHeader(
                    path: path, reason: "header length \(headerLength) exceeds the \(size - 8) bytes after it")
            }
            let header = Data(bytes: base + 8, count: headerLength)
            let (entries, metadata) = try Self.parseHeader(header, path: path, dataSize: size - 8 - headerLength)
            self.entries = entries
            self.metadata = metadata
            self.dataStart = 8 + headerLength
        } catch {
            munmap(base, size)
            throw error
        }
        self.mapping = base
        self.mappedSize = size
    }

    deinit {
        munmap(mapping, mappedSize)
    }

    /// Stored tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The header entry for `name`, checked against an expected shape and dtype when given.
    /// - Throws: ``SafetensorsError`` naming the tensor when it is missing or differs from what is expected.
    public func entry(_ name: String, shape: [Int]? = nil, dtype: DType? = nil) throws -> Entry {
        guard let entry = entries[name] else {
            throw SafetensorsError.missingTensor(name: name, path: path, available: entries.count)
        }
        if let shape, shape != entry.shape {
            throw SafetensorsError.shapeMismatch(name: name, expected: shape, actual: entry.shape)
        }
        if let dtype, dtype != entry.dtype {
            throw SafetensorsError.dtypeMismatch(name: name, expected: dtype, actual: entry.dtype)
        }
        return entry
    }

    /// Reads a tensor as F32, converting from F16 or BF16.
    ///
    /// - Parameters:
    ///   - shape: when given, the stored shape must equal it.
    ///   - dtype: when given, the stored dtype must equal it.
    /// - Throws: ``SafetensorsError`` naming the tensor and what was expected against what is stored.
    public func tensor(_ name: String, shape: [Int]? = nil, dtype: DType? = nil) throws -> Tensor {
        let entry = try entry(name, shape: shape, dtype: dtype)
        var out = Tensor(shape: entry.shape)
        try out.withUnsafeMutableBufferPointer { try read(entry, into: $0) }
        return out
    }

    /// Reads a tensor as F32 into caller-owned memory of exactly its element count.
    public func read(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try read(entry(name), into: destination)
    }

    private func read(_ entry: Entry, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard destination.count == entry.count else {
            throw SafetensorsError.destinationSize(name: entry.name, expected: entry.count, actual: destination.count)
        }
        guard let out = destination.baseAddress else { return }
        let source = UnsafeRawPointer(mapping + dataStart + entry.byteRange.lowerBound)
        let n = entry.count
        switch entry.dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: n * 4)
            #if _endian(big)
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
            #endif
        case .f16:
            for i in 0..<n {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(Float16(bitPattern: bits))
            }
        case .bf16:
            for i in 0..<n {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                out[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .other:
            throw SafetensorsError.unsupportedDType(name: entry.name, dtype: entry.dtype)
        }
    }
}
