import CLibPQ

/// The result of one statement, owning its `PGresult*` (freed with `PQclear` in `deinit`).
///
/// Not thread-safe; it stays with the code that ran the query.
public final class PostgresResult {
    let handle: OpaquePointer
    /// The SQL that produced this result, for error messages.
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit { PQclear(handle) }

    /// Number of rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }
    /// Number of columns returned.
    public var columnCount: Int { Int(PQnfields(handle)) }
    /// Rows changed by an INSERT/UPDATE/DELETE (or returned by a SELECT), from `PQcmdTuples`.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// The column names, in order.
    public var columnNames: [String] { (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) } }

    /// The index of a column by name.
    /// - Throws: ``PostgresError`` (`.decode`) when there is no such column.
    public func column(_ name: String) throws -> Int {
        let index = Int(PQfnumber(handle, "\"\(name)\""))
        guard index >= 0 else { throw decodeError("no column named \(name)") }
        return index
    }

    /// The rows, for iteration.
    public var rows: [PostgresRow] { (0..<rowCount).map { PostgresRow(result: self, index: $0) } }

    /// The first row, if any.
    public var first: PostgresRow? { rowCount > 0 ? PostgresRow(result: self, index: 0) : nil }

    func decodeError(_ text: String) -> PostgresError {
        PostgresError(.decode, message: text, sql: sql)
    }
}

/// One row of a ``PostgresResult``; columns are addressed by index or name.
///
/// The `optional…` accessors return nil for SQL NULL; the others throw on NULL.
public struct PostgresRow {
    /// The result this row belongs to (kept alive by the row).
    public let result: PostgresResult
    /// The row number.
    public let index: Int

    /// True when the column is SQL NULL.
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result.handle, Int32(index), Int32(column)) == 1 }

    /// The raw bytes of a column as sent by the server, nil for NULL.
    public func raw(_ column: Int) -> UnsafeRawBufferPointer? {
        guard !isNull(column) else { return nil }
        let length = Int(PQgetlength(result.handle, Int32(index), Int32(column)))
        let pointer = PQgetvalue(result.handle, Int32(index), Int32(column))
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    var isBinary: (Int) -> Bool { { PQfformat(result.handle, Int32($0)) == 1 } }
    func type(_ column: Int) -> UInt32 { UInt32(PQftype(result.handle, Int32(column))) }

    // MARK: Optional accessors (the decoding lives here)

    /// A column as text; in binary format only text-like columns are accepted.
    public func optionalString(_ column: Int) throws -> String? {
        guard let raw = raw(column) else { return nil }
        return String(decoding: raw, as: UTF8.self)
    }

    /// A column as a 64-bit integer (int2/int4/int8, or any text that parses).
    public func optionalInt64(_ column: Int) throws -> Int64? {
        guard let raw = raw(column) else { return nil }
        if isBinary(column) {
            switch raw.count {
            case 2: return Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self)))
            case 4: return Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self)))
            case 8: return Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
            default: throw result.decodeError("column \(column) is not a binary integer")
            }
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let value = Int64(text) else { throw result.decodeError("column \(column) is not an integer: \(text)") }
        return value
    }

    /// A column as an `Int`.
    public func optionalInt(_ column: Int) throws -> Int? { try optionalInt64(column).map { Int($0) } }

    /// A column as a `Double` (float4/float8/numeric in text, float8 in binary).
    public func optionalDouble(_ column: Int) throws -> Double? {
        guard let raw = raw(column) else { return nil }
        if isBinary(column) {
            switch type(column) {
            case 701: return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
            case 700: return Double(Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))))
            default: return try optionalInt64(column).map(Double.init)
            }
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let value = Double(text) else { throw result.decodeError("column \(column) is not a number: \(text)") }
        return value
    }

    /// A column as a `Bool` (`t`/`f` in text).
    public func optionalBool(_ column: Int) throws -> Bool? {
        guard let raw = raw(column) else { return nil }
        if isBinary(column) { return raw.first.map { $0 != 0 } ?? false }
        switch raw.first {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw result.decodeError("column \(column) is not a boolean")
        }
    }

    /// A `bytea` column: raw in binary format, decoded from `\x…` hex in text format.
    public func optionalBytes(_ column: Int) throws -> [UInt8]? {
        guard let raw = raw(column) else { return nil }
        if isBinary(column) { return Array(raw) }
        guard let bytes = Hex.decodeBytea(raw) else { throw result.decodeError("column \(column) is not hex bytea") }
        return bytes
    }

    // MARK: Required accessors

    /// A column as text; throws on NULL.
    public func string(_ column: Int) throws -> String { try required(column, optionalString(column)) }
    /// A column as `Int`; throws on NULL.
    public func int(_ column: Int) throws -> Int { try required(column, optionalInt(column)) }
    /// A column as `Int64`; throws on NULL.
    public func int64(_ column: Int) throws -> Int64 { try required(column, optionalInt64(column)) }
    /// A column as `Double`; throws on NULL.
    public func double(_ column: Int) throws -> Double { try required(column, optionalDouble(column)) }
    /// A column as `Bool`; throws on NULL.
    public func bool(_ column: Int) throws -> Bool { try required(column, optionalBool(column)) }
    /// A `bytea` column; throws on NULL.
    public func bytes(_ column: Int) throws -> [UInt8] { try required(column, optionalBytes(column)) }

    private func required<T>(_ column: Int, _ value: T?) throws -> T {
        guard let value else { throw result.decodeError("column \(column) is NULL") }
        return value
    }
}

enum Hex {
    /// Decodes PostgreSQL's text form of `bytea` (`\x` followed by hex digits).
    static func decodeBytea(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x"), raw.count % 2 == 0 else {
            return nil
        }
        var output = [UInt8](repeating: 0, count: (raw.count - 2) / 2)
        var valid = true
        output.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count {
                guard let high = nibble(raw[2 + 2 * i]), let low = nibble(raw[3 + 2 * i]) else {
                    valid = false
                    return
                }
                out[i] = high << 4 | low
            }
        }
        return valid ? output : nil
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
