import Foundation
import LongshotEngines
import LongshotJob
import Testing

/// Workers keep `dit` models loaded between leases (`EngineCache`); a changed model folder is read again.
@Suite("engine cache")
struct EngineCacheTests {
    /// A copy of the fixture model in a fresh folder.
    static func modelCopy(_ name: String, in base: URL) throws -> String {
        let folder = base.appendingPathComponent(name)
        try FileManager.default.copyItem(atPath: DiTEngineRenderTests.fixture, toPath: folder.path)
        return folder.path
    }

    @Test("a dit model is loaded once, again when its files change; the least recently used is dropped")
    func loadsOncePerModelVersion() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-engine-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let (a, b, c) = (try Self.modelCopy("a", in: base), try Self.modelCopy("b", in: base), try Self.modelCopy("c", in: base))
        let cache = EngineCache(capacity: 2)

        let first = try cache.denoiser(for: DiTEngineRenderTests.spec(model: a))
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: a))
        #expect(cache.loads == 1 && cache.count == 1)
        #expect(first.modelName == "dit:a-untrained")

        // New weights in the same folder (a later modification time): read again, in place of the old ones.
        let config = URL(fileURLWithPath: a).appendingPathComponent("config.json").path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: config)
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: a))
        #expect(cache.loads == 2 && cache.count == 1)

        // Two more models with room for two: `a`, the least recently used, goes.
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: b))
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: c))
        #expect(cache.loads == 4 && cache.count == 2)
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: c))
        _ = try cache.denoiser(for: DiTEngineRenderTests.spec(model: a))
        #expect(cache.loads == 5 && cache.count == 2)

        // Other engines are made for every use and never kept.
        var procedural = JobSpec.defaults
        procedural.engine = "procedural"
        #expect(!(try cache.denoiser(for: procedural).modelName.hasPrefix("dit")))
        #expect(cache.loads == 5 && cache.count == 2)
    }

    @Test("a missing model folder is the catalogue's one-line error, and nothing is cached")
    func missingFolderIsReported() throws {
        let cache = EngineCache()
        #expect(throws: JobSpecError.self) { try cache.denoiser(for: DiTEngineRenderTests.spec(model: "/nonexistent/model")) }
        #expect(cache.count == 0 && cache.loads == 0)
    }
}
