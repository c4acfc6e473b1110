import Foundation

/// BERT's uncased text normalisation and pre-tokenisation, as Hugging Face's `BertNormalizer`
/// (clean text, pad CJK ideographs, strip accents, lowercase) and `BertPreTokenizer` (split on whitespace,
/// isolate punctuation) do it.
public enum BertNormalizer {
    /// The normalised scalars of `text`: control characters removed, whitespace turned into spaces,
    /// CJK ideographs surrounded by spaces, accents stripped (NFD, then nonspacing marks removed), lowercased.
    public static func normalize(_ text: String) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.value == 0 || c.value == 0xFFFD || isControl(c) { continue }
            if isWhitespace(c) {
                cleaned.append(" ")
            } else if isChineseCharacter(c) {
                cleaned.append(" ")
                cleaned.append(c)
                cleaned.append(" ")
            } else {
                cleaned.append(c)
            }
        }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(cleaned.count)
        for c in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where c.properties.generalCategory != .nonspacingMark {
            if c.isASCII {
                out.append(c.properties.isUppercase ? Unicode.Scalar(c.value + 32)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Splits normalised scalars into words: runs between whitespace, with every punctuation character a word.
    public static func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start: Int? = nil
        for (i, c) in scalars.enumerated() {
            if isWhitespace(c) || isPunctuation(c) {
                if let s = start { words.append(scalars[s..<i]) }
                start = nil
                if isPunctuation(c) { words.append(scalars[i...i]) }
            } else if start == nil {
                start = i
            }
        }
        if let s = start { words.append(scalars[s...]) }
        return words
    }

    /// Tab, newline, carriage return and every scalar with the Unicode White_Space property.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    /// Categories Cc, Cf, Cs, Co, Cn, except tab, newline and carriage return (which count as whitespace).
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (including symbols such as `$`, `+`, `^`) and every Unicode P* category.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT splits into single characters.
    static func isChineseCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
