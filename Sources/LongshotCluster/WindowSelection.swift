import Foundation

/// A list of window indices as users write it: `3,7-9` (items separated by commas, each a number
/// or an inclusive range `a-b`).
public enum WindowSelection {
    /// A problem with one item of the list.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var item: String
        public var reason: String
        public var description: String { "--windows: '\(item)' \(reason); write indices like 3,7-9" }
    }

    /// The indices, sorted and without repeats.
    /// - Throws: ``ParseError`` naming the first bad item.
    public static func parse(_ text: String) throws(ParseError) -> [UInt32] {
        var result = Set<UInt32>()
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for raw in items {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw ParseError(item: String(raw), reason: "is empty") }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            switch bounds.count {
            case 1:
                guard let n = UInt32(bounds[0]) else { throw ParseError(item: item, reason: "is not a window index") }
                result.insert(n)
            case 2:
                guard let a = UInt32(bounds[0]), let b = UInt32(bounds[1]) else {
                    throw ParseError(item: item, reason: "is not a range of window indices")
                }
                guard a <= b else { throw ParseError(item: item, reason: "is a range that runs backwards") }
                guard b - a < 100_000 else { throw ParseError(item: item, reason: "is too large a range") }
                result.formUnion(a...b)
            default:
                throw ParseError(item: item, reason: "is not a window index or range")
            }
        }
        return result.sorted()
    }
}
