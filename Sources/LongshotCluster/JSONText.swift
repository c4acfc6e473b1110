import Foundation

/// JSON for `--json`: pretty-printed with sorted keys, `null` for absent values.
public enum JSONText {
    /// Serializes a tree of dictionaries, arrays, strings, numbers, booleans and `NSNull`.
    public static func string(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Serializes on one line (for a stream of JSON objects).
    public static func line(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `value`, or `NSNull` when it is nil.
    public static func orNull(_ value: Any?) -> Any { value ?? NSNull() }
}
