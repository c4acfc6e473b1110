import Foundation
import LongshotDiffusion
import LongshotExternal
import LongshotJob
import Synchronization

/// The engines a worker (or `longshot render`) offers, by name, kept warm: each is loaded once (a model's
/// weights, an engine process) and serves every window, group and segment of every job until it has been
/// idle for its entry's `idle_seconds`. A crashed engine process is started again on next use.
///
/// `synthetic` engines take their time per step from the job, so they are made for each use.
public final class EngineRoster: Sendable {
    private struct Warm {
        var denoiser: any Denoiser
        var lastUsed: ContinuousClock.Instant
    }

    private struct State {
        var warm: [String: Warm] = [:]
        var loads: [String: Int] = [:]
    }

    public let entries: [EngineEntry]
    private let state = Mutex(State())
    /// Serialises loading, so two slots asking for a cold engine at once load it once.
    private let loading = Mutex(())

    public init(_ entries: [EngineEntry]) {
        self.entries = entries
    }

    /// The names of the engines offered, sorted.
    public var names: [String] { entries.map(\.name).sorted() }

    public func entry(named name: String) -> EngineEntry? { entries.first { $0.name == name } }

    /// The denoiser for `spec.engine`, warm when it was loaded before. A job may name a model id: it must
    /// be the engine's (its model name, with or without the `kind:` prefix).
    public func denoiser(for spec: JobSpec) throws(JobSpecError) -> any Denoiser {
        guard let entry = entry(named: spec.engine) else {
            throw JobSpecError("engine", "this worker offers no engine '\(spec.engine)'; it offers \(names.joined(separator: ", "))")
        }
        if entry.kind == .synthetic { return try EngineCatalog.denoiser(for: entry, spec: spec) }
        let denoiser = try loading.withLock { _ throws(JobSpecError) -> any Denoiser in
            if let warm = state.withLock({ s -> (any Denoiser)? in
                guard let w = s.warm[entry.name], !((w.denoiser as? ExternalEngine)?.isDead ?? false) else { return nil }
                s.warm[entry.name]?.lastUsed = .now
                return w.denoiser
            }) {
                return warm
            }
            let loaded = try EngineCatalog.denoiser(for: entry, spec: spec)
            state.withLock { s in
                s.warm[entry.name] = Warm(denoiser: loaded, lastUsed: .now)
                s.loads[entry.name, default: 0] += 1
            }
            return loaded
        }
        if !spec.model.isEmpty, entry.kind != .external || spec.model != entry.command {
            let name = denoiser.modelName
            let bare = name.split(separator: ":", maxSplits: 1).last.map(String.init) ?? name
            guard spec.model == name || spec.model == bare else {
                throw JobSpecError("model", "engine \(entry.name) serves model \(name), not '\(spec.model)'")
            }
        }
        return denoiser
    }

    /// How many times the engine was loaded (started, or its weights read).
    public func loads(of name: String) -> Int { state.withLock { $0.loads[name] ?? 0 } }

    /// Loads in all, over every engine.
    public var loads: Int { state.withLock { $0.loads.values.reduce(0, +) } }

    /// The number of engines loaded now.
    public var count: Int { state.withLock { $0.warm.count } }

    /// Unloads the engines idle longer than their entry allows; returns their names.
    @discardableResult
    public func unloadIdle(now: ContinuousClock.Instant = .now) -> [String] {
        let idle = state.withLock { s -> [(String, any Denoiser)] in
            let names = s.warm.filter { name, warm in
                guard let entry = entry(named: name) else { return true }
                return now - warm.lastUsed > entry.idleTimeout
            }.map(\.key)
            return names.compactMap { name in s.warm.removeValue(forKey: name).map { (name, $0.denoiser) } }
        }
        return idle.map(\.0)  // the denoisers end (processes stop) as the last reference goes
    }

    /// Every engine offered: whether it is loaded, how often it was, its processes' resident and GPU bytes.
    public var states: [(name: String, loaded: Bool, loads: Int, residentBytes: Int, gpuBytes: Int)] {
        let (warm, loads) = state.withLock { s in (s.warm, s.loads) }
        return names.map { name in
            let engine = warm[name]?.denoiser
            let external = engine as? ExternalEngine
            return (name, engine != nil, loads[name] ?? 0, external?.residentBytes ?? 0, external?.gpuBytes ?? 0)
        }
    }

    /// What each loaded engine holds in memory: the engine process's resident bytes, where it is one.
    public var memory: [String: Int] {
        state.withLock { s in s.warm.compactMapValues { ($0.denoiser as? ExternalEngine)?.residentBytes } }
    }
}
