import Foundation
import LongshotDiffusion
import Yams

/// A storyboard file: timed shots (start, end in seconds, prompt) that together cover the duration.
///
/// YAML or JSON, either a list of shots or `{shots: [...]}`:
/// ```yaml
/// shots:
///   - {start: 0, end: 20, prompt: "a red ball bouncing on a blue background"}
///   - {start: 20, end: 40, prompt: "three yellow squares moving left on a night sky"}
/// ```
public enum Storyboard {
    private struct File: Decodable {
        var shots: [Shot]
    }

    /// Reads and decodes a storyboard file (shots are validated against the duration later).
    public static func load(_ url: URL) throws(JobSpecError) -> [Shot] {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw JobSpecError("storyboard", "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(text, source: url.path)
    }

    public static func parse(_ text: String, source: String = "storyboard") throws(JobSpecError) -> [Shot] {
        // YAML is a superset of JSON, so one decoder reads both.
        let decoder = YAMLDecoder()
        do {
            // `shots: [...]` or the list itself: the error is the one of the form the text has.
            if (try? Yams.compose(yaml: text))??.mapping != nil { return try decoder.decode(File.self, from: text).shots }
            return try decoder.decode([Shot].self, from: text)
        } catch {
            throw JobSpecError("storyboard", "\(source) is not a list of shots {start, end, prompt}: \(describe(error, in: text))")
        }
    }

    /// Shots must start at 0, follow each other without gap or overlap and end exactly at the duration.
    public static func validate(_ shots: [Shot], duration: Double) throws(JobSpecError) {
        guard !shots.isEmpty else { throw JobSpecError("storyboard", "there are no shots (a job needs a prompt)") }
        let tolerance = 1e-6
        var expectedStart = 0.0
        for (i, shot) in shots.enumerated() {
            let name = "shot \(i + 1) (\"\(shot.prompt.prefix(40))\")"
            guard !shot.prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw JobSpecError("storyboard", "\(name) has an empty prompt")
            }
            guard shot.start.isFinite, shot.end.isFinite, shot.end > shot.start else {
                throw JobSpecError("storyboard", "\(name) ends at \(shot.end) s, not after its start \(shot.start) s")
            }
            if shot.start > expectedStart + tolerance {
                throw JobSpecError("storyboard", "gap before \(name): \(expectedStart) s to \(shot.start) s is not covered")
            }
            if shot.start < expectedStart - tolerance {
                throw JobSpecError("storyboard", "\(name) starts at \(shot.start) s and overlaps the previous shot, which ends at \(expectedStart) s")
            }
            if shot.end > duration + tolerance {
                throw JobSpecError("storyboard", "\(name) ends at \(shot.end) s, past the duration of \(duration) s")
            }
            expectedStart = shot.end
        }
        if expectedStart < duration - tolerance {
            throw JobSpecError("storyboard", "the shots end at \(expectedStart) s; \(expectedStart) s to \(duration) s is not covered")
        }
    }

    /// A decoding error as one line naming where in the file it is.
    /// A decoding error in one line, with the line (and column) of the YAML text where it is when known.
    public static func describe(_ error: any Error, in text: String? = nil) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(where_(context, text))missing '\(key.stringValue)' at \(path(context))"
        case DecodingError.dataCorrupted(let context) where context.underlyingError is YamlError:
            return syntax(context.underlyingError as! YamlError)
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            return "\(where_(context, text))\(context.debugDescription) at \(path(context))"
        case let error as YamlError:
            return syntax(error)
        default:
            return "\(error)"
        }
    }

    /// A YAML syntax error: "line L, column C: what" (Yams says "L:C: error: what", then the text).
    private static func syntax(_ error: YamlError) -> String {
        let first = "\(error)".split(separator: "\n").first.map(String.init) ?? ""
        let parts = first.split(separator: ":", maxSplits: 3).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 4, let line = Int(parts[0]), let column = Int(parts[1]) else { return "not YAML: \(first)" }
        return "line \(line), column \(column): not YAML: \(parts[3].replacingOccurrences(of: "error: ", with: ""))"
    }

    /// "line L: " for the node at the error's coding path, found by composing the text; empty when unknown.
    private static func where_(_ context: DecodingError.Context, _ text: String?) -> String {
        guard let text, var node = try? Yams.compose(yaml: text) else { return "" }
        for key in context.codingPath {
            if let index = key.intValue, let item = node.sequence?[safe: index] {
                node = item
            } else if let value = node.mapping?[Node(key.stringValue)] {
                node = value
            } else {
                break
            }
        }
        return node.mark.map { "line \($0.line): " } ?? ""
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "the top level" : p
    }
}

extension Node.Sequence {
    subscript(safe index: Int) -> Node? { index >= 0 && index < count ? self[index] : nil }
}
