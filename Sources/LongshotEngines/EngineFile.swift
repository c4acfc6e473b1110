import Foundation
import LongshotJob
import Yams

/// One named engine an operator configures for a worker (or for `longshot render --engines FILE`).
///
/// ```yaml
/// engines:
///   wan-1.3b:
///     kind: diffusers            # procedural | synthetic | dit | external | diffusers
///     model: /models/Wan2.1-T2V-1.3B-Diffusers
///     device: cuda               # diffusers: cpu, cuda, cuda:N
///     dtype: bf16                # diffusers: fp32, bf16, fp16
///     idle_seconds: 900          # unload after this long without work (default 600)
///   numpy:
///     kind: external
///     command: python3 ops/external/numpy_engine.py
/// ```
/// Jobs name an engine; they never carry a command or a path.
public struct EngineEntry: Sendable, Hashable, Decodable {
    public enum Kind: String, Sendable, Hashable, Decodable, CaseIterable {
        case procedural, synthetic, dit, external, diffusers
    }

    public var name: String
    public var kind: Kind
    /// A model folder (dit, diffusers), or milliseconds per step (synthetic).
    public var model: String?
    /// The command (external).
    public var command: String?
    public var device: String?
    public var dtype: String?
    public var decodeContext: Int?
    public var idleSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case kind, model, command, device, dtype, decodeContext = "decode_context", idleSeconds = "idle_seconds"
    }

    public init(
        name: String, kind: Kind, model: String? = nil, command: String? = nil, device: String? = nil, dtype: String? = nil,
        decodeContext: Int? = nil, idleSeconds: Double? = nil
    ) {
        self.name = name
        self.kind = kind
        self.model = model
        self.command = command
        self.device = device
        self.dtype = dtype
        self.decodeContext = decodeContext
        self.idleSeconds = idleSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = c.codingPath.last?.stringValue ?? ""
        kind = try c.decode(Kind.self, forKey: .kind)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        command = try c.decodeIfPresent(String.self, forKey: .command)
        device = try c.decodeIfPresent(String.self, forKey: .device)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype)
        decodeContext = try c.decodeIfPresent(Int.self, forKey: .decodeContext)
        idleSeconds = try c.decodeIfPresent(Double.self, forKey: .idleSeconds)
    }

    /// How long the engine stays loaded without work.
    public var idleTimeout: Duration { .milliseconds(Int64((idleSeconds ?? 600) * 1000)) }

    /// The entry the shorthand `--engine KIND [--model M]` means (render, and workers of built-in engines).
    public static func shorthand(engine: String, model: String) -> EngineEntry? {
        guard let kind = Kind(rawValue: engine) else { return nil }
        return EngineEntry(
            name: engine, kind: kind, model: kind == .external || model.isEmpty ? nil : model,
            command: kind == .external && !model.isEmpty ? model : nil)
    }

    /// What is wrong with the entry, if anything.
    public func problem() -> String? {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            return "engine name '\(name)' must be 1-64 letters, digits, '.', '_' or '-'"
        }
        switch kind {
        case .external where (command ?? "").trimmingCharacters(in: .whitespaces).isEmpty:
            return "engine \(name): kind external needs a command"
        case .dit, .diffusers:
            if (model ?? "").isEmpty { return "engine \(name): kind \(kind.rawValue) needs a model folder" }
        default:
            break
        }
        if let idleSeconds, !(idleSeconds > 0) { return "engine \(name): idle_seconds must be positive" }
        return nil
    }
}

/// Reads an engine file (YAML or JSON): `engines: {NAME: {kind, ...}}`.
public enum EngineFile {
    private struct File: Decodable {
        var engines: [String: EngineEntry]
    }

    public static func load(_ path: String) throws(JobSpecError) -> [EngineEntry] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw JobSpecError("engines", "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String = "engine file") throws(JobSpecError) -> [EngineEntry] {
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch {
            throw JobSpecError("engines", "\(source): \(Storyboard.describe(error, in: text)); expected engines: {NAME: {kind: \(EngineEntry.Kind.allCases.map(\.rawValue).joined(separator: "|")), ...}}")
        }
        let entries = file.engines.values.sorted { $0.name < $1.name }
        guard !entries.isEmpty else { throw JobSpecError("engines", "\(source) names no engine") }
        for entry in entries {
            if let problem = entry.problem() { throw JobSpecError("engines", "\(source): \(problem)") }
        }
        return entries
    }
}
