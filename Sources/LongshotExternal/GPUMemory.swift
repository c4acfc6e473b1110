import Foundation
import Synchronization

/// GPU memory used by processes, from `nvidia-smi --query-compute-apps=pid,used_memory` (NVIDIA GPUs);
/// empty where there is no nvidia-smi. Read at most every 10 s: the query takes tens of milliseconds.
public enum GPUMemory {
    private static let cache = Mutex<(at: ContinuousClock.Instant, bytes: [Int32: Int])?>(nil)

    /// Bytes of GPU memory per process id.
    public static func byProcess() -> [Int32: Int] {
        if let cached = cache.withLock({ $0 }), ContinuousClock.now - cached.at < .seconds(10) { return cached.bytes }
        let bytes = query()
        cache.withLock { $0 = (.now, bytes) }
        return bytes
    }

    /// Parses nvidia-smi's `pid, used_memory [MiB]` CSV (no header, no units): one process per line.
    public static func parse(_ csv: String) -> [Int32: Int] {
        var bytes: [Int32: Int] = [:]
        for line in csv.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let pid = Int32(fields[0]), let mib = Int(fields[1].split(separator: " ").first ?? "") else { continue }
            bytes[pid, default: 0] += mib << 20
        }
        return bytes
    }

    private static func query() -> [Int32: Int] {
        let candidates = ["/usr/bin/nvidia-smi", "/usr/local/bin/nvidia-smi"]
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return [:] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [:] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? parse(String(decoding: data, as: UTF8.self)) : [:]
    }
}
