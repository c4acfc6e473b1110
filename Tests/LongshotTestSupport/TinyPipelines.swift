import Foundation

/// A Python with torch and diffusers, and the tiny random-weight pipelines `ops/diffusers/make_tiny.py`
/// builds offline with it, for the tests of the `diffusers` engine.
///
/// The Python is `LONGSHOT_PYTHON` when set, else the repository's `.venv-models/bin/python` (made by
/// `ops/install-models.sh`, which CI runs); either must import torch, diffusers and transformers. Where
/// there is none, the model tests are skipped and say why.
public enum TinyPipelines {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let python: String? = findPython()
    public static let reason =
        "needs a Python with torch and diffusers: run ops/install-models.sh (or set LONGSHOT_PYTHON)"

    /// The environment for a `longshot` process that runs the diffusers engine.
    public static var environment: [String: String] {
        ["LONGSHOT_PYTHON": python ?? "python3", "LONGSHOT_TORCH_THREADS": "1"]
    }

    /// The folder holding `wan/`, `ltx/` and `hunyuan/`, built once per test process (about 12 s).
    public static func folder() throws -> URL {
        try built.get()
    }

    private static let built: Result<URL, Error> = Result {
        guard let python else { throw Missing(reason) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("longshot-tiny-\(getpid())")
        try? FileManager.default.removeItem(at: out)
        let status = try runPython(python, [root.appendingPathComponent("ops/diffusers/make_tiny.py").path, out.path])
        guard status.code == 0 else { throw Missing("make_tiny.py failed: \(status.stderr.suffix(2000))") }
        return out
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// Runs `python arguments...`; returns its exit code, standard output and standard error.
    public static func runPython(_ python: String, _ arguments: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["LONGSHOT_TORCH_THREADS": "1"]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so neither fills.
        let errData = Locked<Data>(Data())
        let reader = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1000) }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
    }

    private static func findPython() -> String? {
        let env = ProcessInfo.processInfo.environment
        let candidates: [String?] = [env["LONGSHOT_PYTHON"], root.appendingPathComponent(".venv-models/bin/python").path]
        for case let candidate? in candidates where !candidate.isEmpty {
            guard !candidate.contains("/") || FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            if let result = try? runPython(candidate, ["-c", "import torch, diffusers, transformers, tokenizers"]), result.code == 0 {
                return candidate
            }
        }
        return nil
    }
}

/// A value written by one thread and read by another once `done`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    private var finished = false

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue; finished = true } }
    }

    var done: Bool { lock.withLock { finished } }
}
