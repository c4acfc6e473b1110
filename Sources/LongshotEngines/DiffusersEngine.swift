import Foundation
import LongshotExternal
import LongshotJob

/// The `diffusers` engine: a diffusers pipeline folder (Wan 2.1/2.2, LTX-Video) served by
/// `ops/diffusers/longshot_diffusers.py` over the external engine protocol, in the Python that
/// `LONGSHOT_PYTHON` names (default `python3`, which needs torch and diffusers).
public enum DiffusersEngine {
    /// The environment variable naming the Python that runs the engine.
    public static let pythonVariable = "LONGSHOT_PYTHON"
    /// The environment variable naming the engine script, where it is not found beside the executable.
    public static let scriptVariable = "LONGSHOT_DIFFUSERS_ENGINE"
    static let scriptPath = "ops/diffusers/longshot_diffusers.py"

    /// Options an operator may give the engine (an engine file's `device`, `dtype`, `options`).
    public struct Options: Sendable, Hashable {
        public var device: String?
        public var dtype: String?
        public var decodeContext: Int?

        public init(device: String? = nil, dtype: String? = nil, decodeContext: Int? = nil) {
            self.device = device
            self.dtype = dtype
            self.decodeContext = decodeContext
        }
    }

    /// Starts the engine for `folder`; every problem that can be seen before Python starts is one line.
    public static func start(
        folder: String, width: Int, height: Int, options: Options = Options(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JobSpecError) -> ExternalEngine {
        let command = try command(folder: folder, options: options, environment: environment)
        do {
            return try ExternalEngine(command: command, width: width, height: height, kind: "diffusers")
        } catch {
            // A refusal (a model that does not load, a size it cannot make) is the engine's own line; a crash
            // (no torch in that Python, say) keeps the engine's last lines of standard error.
            throw JobSpecError("model", "diffusers engine for \(folder): \(error.reason ?? error.description)")
        }
    }

    /// The shell command that serves `folder`.
    public static func command(
        folder: String, options: Options = Options(), environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JobSpecError) -> String {
        let hint = "a diffusers pipeline folder (save_pretrained layout; `python ops/diffusers/make_tiny.py DIR` makes tiny ones)"
        guard !folder.isEmpty else { throw JobSpecError("model", "--engine diffusers needs --model DIR, \(hint)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw JobSpecError("model", "\(folder) does not exist; give \(hint)")
        }
        guard FileManager.default.fileExists(atPath: URL(fileURLWithPath: folder).appendingPathComponent("model_index.json").path) else {
            throw JobSpecError("model", "\(folder) has no model_index.json; give \(hint)")
        }
        guard let script = locateScript(environment: environment) else {
            throw JobSpecError(
                "engine", "cannot find \(scriptPath) beside the longshot executable; set \(scriptVariable) to its path")
        }
        let python = environment[pythonVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        var words = [python, script, URL(fileURLWithPath: folder).standardizedFileURL.path]
        if let device = options.device { words += ["--device", device] }
        if let dtype = options.dtype { words += ["--dtype", dtype] }
        if let context = options.decodeContext { words += ["--decode-context", String(context)] }
        return words.map(shellQuoted).joined(separator: " ")
    }

    /// `LONGSHOT_DIFFUSERS_ENGINE`, else the script in a folder above the executable (a checkout's build),
    /// else under the working directory.
    static func locateScript(environment: [String: String]) -> String? {
        if let path = environment[scriptVariable], !path.isEmpty {
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent(scriptPath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(scriptPath).path
        return FileManager.default.fileExists(atPath: local) ? local : nil
    }

    static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
