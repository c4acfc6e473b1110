/// A period written as a number and a unit: `30d`, `12h`, `90m`, `45s` (a bare number is seconds).
enum RetentionPeriod {
    static func parse(_ text: String) -> Duration? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let scale = units[last] {
            unit = scale
            digits = text.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let count = Int(digits), count >= 1, count <= 36_500 * 86_400 / unit
        else { return nil }
        return .seconds(count * unit)
    }
}
