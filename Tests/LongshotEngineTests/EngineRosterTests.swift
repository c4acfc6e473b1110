import Foundation
import LongshotEngines
import LongshotExternal
import LongshotJob
import Testing

/// Named engines from an engine file, kept warm (`EngineRoster`): loaded once, served to every job,
/// unloaded after their idle time, restarted after a crash; jobs name engines and model ids only.
@Suite("engine roster")
struct EngineRosterTests {
    static let numpyEngine = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ops/external/numpy_engine.py").path

    static func job(_ engine: String, model: String = "") -> JobSpec {
        var spec = DiTEngineRenderTests.spec(model: model)
        spec.engine = engine
        return spec
    }

    @Test("an engine file's dit engine loads once for every job; a job naming another model, or no such engine, is one line")
    func ditLoadsOnce() throws {
        let entries = try EngineFile.parse(
            """
            engines:
              toy: {kind: dit, model: "\(DiTEngineRenderTests.fixture)", idle_seconds: 0.2}
              plain: {kind: procedural}
            """)
        #expect(entries.map(\.name) == ["plain", "toy"])
        let roster = EngineRoster(entries)
        let first = try roster.denoiser(for: Self.job("toy"))
        for _ in 0..<5 { _ = try roster.denoiser(for: Self.job("toy")) }
        #expect(roster.loads(of: "toy") == 1)
        // The model id may be given, with or without its kind prefix.
        _ = try roster.denoiser(for: Self.job("toy", model: first.modelName))
        _ = try roster.denoiser(for: Self.job("toy", model: String(first.modelName.dropFirst("dit:".count))))
        #expect(throws: JobSpecError("model", "engine toy serves model \(first.modelName), not '/some/path'")) {
            try roster.denoiser(for: Self.job("toy", model: "/some/path"))
        }
        #expect(throws: JobSpecError("engine", "this worker offers no engine 'wan'; it offers plain, toy")) {
            try roster.denoiser(for: Self.job("wan"))
        }
        #expect(roster.loads(of: "toy") == 1)
        // Idle past its time: unloaded, and loaded again on the next use.
        #expect(roster.unloadIdle(now: .now + .seconds(1)).sorted() == ["toy"] || roster.count == 1)
        _ = try roster.denoiser(for: Self.job("toy"))
        #expect(roster.loads(of: "toy") == 2)
    }

    @Test("an external engine process serves every job until it dies; then a new one starts")
    func externalRestartsAfterACrash() throws {
        let roster = EngineRoster(try EngineFile.parse(
            """
            engines:
              numpy: {kind: external, command: "python3 '\(Self.numpyEngine)'"}
            """))
        let engine = try #require(try roster.denoiser(for: Self.job("numpy")) as? ExternalEngine)
        #expect(try roster.denoiser(for: Self.job("numpy")) as? ExternalEngine === engine)
        #expect((engine.residentBytes ?? 0) > 1_000_000, "the engine process's memory is measured")
        #expect(roster.memory["numpy"] != nil)
        // Kill the process: the next call fails, the engine is dead, and the roster starts another.
        kill(-engine.processID, SIGKILL)  // its process group: the shell and the engine
        var spec = Self.job("numpy")
        spec.width = 64
        #expect(throws: (any Error).self) { _ = try engine.prepare(window: try JobPlan(spec: spec, layout: engine.layout(width: 64, height: 32)).request(window: 0)) }
        #expect(engine.isDead)
        let fresh = try #require(try roster.denoiser(for: Self.job("numpy")) as? ExternalEngine)
        #expect(fresh !== engine && !fresh.isDead)
        #expect(roster.loads(of: "numpy") == 2)
    }

    @Test("engine file mistakes are one line each")
    func badFiles() {
        let cases: [(String, String)] = [
            ("engines: {a: {kind: gpu}}", "engines: test: "),
            ("engines: {a: {kind: dit}}", "engine a: kind dit needs a model folder"),
            ("engines: {a: {kind: external}}", "engine a: kind external needs a command"),
            ("engines: {\"a b\": {kind: procedural}}", "engine name 'a b' must be"),
            ("engines: {}", "test names no engine"),
            ("shots: []", "engines: test: "),
        ]
        for (text, expected) in cases {
            do {
                _ = try EngineFile.parse(text, source: "test")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(text): \(error.description)")
                #expect(!error.description.contains("\n"), "one line: \(error.description)")
            }
        }
    }
}

/// nvidia-smi's compute-apps CSV, as GPU workers report engine GPU memory (no GPU here: the parser alone).
@Test("GPU memory per process from nvidia-smi's CSV")
func gpuMemoryParsing() {
    let csv = "12345, 15360\n12346, 512\n\ngarbage line\n12345, 1024\n"
    #expect(GPUMemory.parse(csv) == [12345: (15360 + 1024) << 20, 12346: 512 << 20])
    #expect(GPUMemory.parse("").isEmpty)
}
