import Foundation

/// A parameter for a parameterised query (`$1`, `$2`, ...).
///
/// Text values are sent in PostgreSQL's text format and typed by the server from context
/// (add a cast such as `$1::int` where the context is ambiguous); `bytes` are sent in binary
/// format as `bytea`, so any byte sequence travels unchanged.
public enum PostgresValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A value in PostgreSQL's text format.
    case text(String)
    /// A `bytea` value sent in binary format.
    case bytes([UInt8])

    /// An integer parameter.
    public static func int(_ value: Int) -> PostgresValue { .text(String(value)) }
    /// A 64-bit integer parameter.
    public static func int64(_ value: Int64) -> PostgresValue { .text(String(value)) }
    /// A floating-point parameter (round-trips exactly through `float8`).
    public static func double(_ value: Double) -> PostgresValue { .text("\(value)") }
    /// A boolean parameter.
    public static func bool(_ value: Bool) -> PostgresValue { .text(value ? "true" : "false") }
    /// A timestamp as seconds since 1970; use it as `to_timestamp($n::float8)`.
    public static func epoch(_ date: Date) -> PostgresValue { .double(date.timeIntervalSince1970) }
    /// A text parameter or NULL.
    public static func optional(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
    /// An integer parameter or NULL.
    public static func optional(_ value: Int?) -> PostgresValue { value.map { .int($0) } ?? .null }
    /// A `bytea` parameter or NULL.
    public static func optional(_ value: [UInt8]?) -> PostgresValue { value.map { .bytes($0) } ?? .null }
    /// An `int[]` parameter in array literal format; use it as `$n::int[]`.
    public static func intArray(_ values: [Int]) -> PostgresValue {
        .text("{" + values.map(String.init).joined(separator: ",") + "}")
    }
    /// A `text[]` parameter in array literal format (elements quoted and escaped); use it as `$n::text[]`.
    public static func textArray(_ values: [String]) -> PostgresValue {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return .text("{" + quoted.joined(separator: ",") + "}")
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Which format the server should use for result columns.
public enum PostgresFormat: Int32, Sendable {
    /// Text format: every column readable; `bytea` arrives hex-encoded and is decoded on access.
    case text = 0
    /// Binary format: `bytea` arrives raw (best for large blobs); ints, floats, bools and text are decoded by type.
    case binary = 1
}
