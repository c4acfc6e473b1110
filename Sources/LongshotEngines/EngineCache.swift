import Foundation
import LongshotDiffusion
import LongshotJob
import Synchronization

/// Loaded engines kept between windows and jobs of the same model, so a worker reads a model's weights
/// (and the text encoder's) once rather than for every window it renders.
///
/// Only `dit` engines are kept: they are immutable and safe to share between a worker's slots. The others
/// are made for every use: an external engine is a process serving one caller at a time, and the
/// procedural engines cost nothing to make. A model folder whose `config.json` or `model.safetensors`
/// changes (size or modification time) is loaded again.
public final class EngineCache: Sendable {
    private struct Entry {
        var folder: String
        var version: String
        var denoiser: any Denoiser
    }

    private struct State {
        /// The most recently used first.
        var entries: [Entry] = []
        var loads = 0
    }

    private let state = Mutex(State())
    /// How many models stay loaded.
    public let capacity: Int

    public init(capacity: Int = 2) {
        precondition(capacity >= 1, "an engine cache holds at least one engine")
        self.capacity = capacity
    }

    /// The denoiser for `spec`, from the cache when its model is loaded already.
    public func denoiser(for spec: JobSpec) throws(JobSpecError) -> any Denoiser {
        let folder = URL(fileURLWithPath: spec.model).standardizedFileURL.path
        guard spec.engine == "dit", let version = Self.version(of: folder) else {
            return try EngineCatalog.denoiser(for: spec)
        }
        if let hit = state.withLock({ s -> (any Denoiser)? in
            guard let at = s.entries.firstIndex(where: { $0.folder == folder && $0.version == version }) else { return nil }
            let entry = s.entries.remove(at: at)
            s.entries.insert(entry, at: 0)
            return entry.denoiser
        }) {
            return hit
        }
        // Loaded outside the lock: two slots may load the same model at once the first time; both work.
        let loaded = try EngineCatalog.denoiser(for: spec)
        state.withLock { s in
            s.loads += 1
            s.entries.removeAll { $0.folder == folder }
            s.entries.insert(Entry(folder: folder, version: version, denoiser: loaded), at: 0)
            if s.entries.count > capacity { s.entries.removeLast(s.entries.count - capacity) }
        }
        return loaded
    }

    /// The number of models loaded now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// How many times a model was read from disk.
    public var loads: Int { state.withLock { $0.loads } }

    /// The size and modification time of the folder's two files; `nil` when they cannot be read (the
    /// catalogue then reports what is wrong).
    private static func version(of folder: String) -> String? {
        var parts: [String] = []
        for file in ["config.json", "model.safetensors"] {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(file).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date
            else { return nil }
            parts.append("\(file):\(size):\(modified.timeIntervalSince1970)")
        }
        return parts.joined(separator: "|")
    }
}
