import Foundation
import Logging
import Synchronization

/// How log lines look: `text` for people (`TIME LEVEL LABEL key=value ... message`), `json` for log
/// pipelines (one object per line: `time`, `level`, `label`, `message` and the metadata's keys).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// The farm's swift-log handler: one line per message on standard error, in ``LogFormat``, and a copy in
/// a ``LogTail`` when given one (a worker sends its last lines with a failure report).
public struct FarmLogHandler: LogHandler {
    public let label: String
    public let format: LogFormat
    public let tail: LogTail?
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(label: String, format: LogFormat, level: Logger.Level, tail: LogTail? = nil) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.tail = tail
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = Self.timestamp()
        let line: String
        switch format {
        case .text:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            line = ([time, Self.word(event.level), label] + pairs + [event.message.description.oneLine]).joined(separator: " ")
        case .json:
            var object: [String: Any] = all.mapValues(Self.json)
            object["time"] = time
            object["level"] = Self.word(event.level)
            object["label"] = label
            object["message"] = event.message.description
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        }
        tail?.append(line)
        Self.output.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// One writer at a time, so lines from several threads never interleave.
    private static let output = Mutex(())

    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }

    /// `info`, `error`, ...: swift-log's names.
    static func word(_ level: Logger.Level) -> String { level.rawValue }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return "\(c)"
        case .array(let a): return a.map(json)
        case .dictionary(let d): return d.mapValues(json)
        }
    }
}

/// The last lines a process logged, oldest first (bounded).
public final class LogTail: Sendable {
    private let lines = Mutex<[String]>([])
    private let keep: Int

    public init(keep: Int = 40) { self.keep = keep }

    func append(_ line: String) {
        lines.withLock {
            $0.append(line)
            if $0.count > keep { $0.removeFirst($0.count - keep) }
        }
    }

    /// The last `count` lines, joined by newlines.
    public func text(_ count: Int = 20) -> String { lines.withLock { $0.suffix(count).joined(separator: "\n") } }
}

/// Process-wide logging set-up for the `longshot` commands.
public enum FarmLogging {
    /// Sends every Logger of this process to a ``FarmLogHandler`` (once; later calls change nothing).
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in FarmLogHandler(label: label, format: format, level: level) }
    }

    /// Parses `--log-level` (trace, debug, info, notice, warning, error, critical).
    public static func level(_ text: String) -> Logger.Level? { Logger.Level(rawValue: text.lowercased()) }
}

extension String {
    /// On one line: newlines and other control characters escaped, so a message (or a reply carrying a
    /// worker's words) says one thing per line.
    public var oneLine: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
