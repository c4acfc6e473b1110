/// Accessors by column name; each looks the name up with `PQfnumber`.
extension PostgresRow {
    /// True when the named column is SQL NULL.
    public func isNull(_ name: String) throws -> Bool { isNull(try result.column(name)) }
    /// The named column as text, nil for NULL.
    public func optionalString(_ name: String) throws -> String? { try optionalString(result.column(name)) }
    /// The named column as `Int`, nil for NULL.
    public func optionalInt(_ name: String) throws -> Int? { try optionalInt(result.column(name)) }
    /// The named column as `Int64`, nil for NULL.
    public func optionalInt64(_ name: String) throws -> Int64? { try optionalInt64(result.column(name)) }
    /// The named column as `Double`, nil for NULL.
    public func optionalDouble(_ name: String) throws -> Double? { try optionalDouble(result.column(name)) }
    /// The named column as `Bool`, nil for NULL.
    public func optionalBool(_ name: String) throws -> Bool? { try optionalBool(result.column(name)) }
    /// The named `bytea` column, nil for NULL.
    public func optionalBytes(_ name: String) throws -> [UInt8]? { try optionalBytes(result.column(name)) }
    /// The named column as text; throws on NULL.
    public func string(_ name: String) throws -> String { try string(result.column(name)) }
    /// The named column as `Int`; throws on NULL.
    public func int(_ name: String) throws -> Int { try int(result.column(name)) }
    /// The named column as `Int64`; throws on NULL.
    public func int64(_ name: String) throws -> Int64 { try int64(result.column(name)) }
    /// The named column as `Double`; throws on NULL.
    public func double(_ name: String) throws -> Double { try double(result.column(name)) }
    /// The named column as `Bool`; throws on NULL.
    public func bool(_ name: String) throws -> Bool { try bool(result.column(name)) }
    /// The named `bytea` column; throws on NULL.
    public func bytes(_ name: String) throws -> [UInt8] { try bytes(result.column(name)) }
}
