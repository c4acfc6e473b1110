import Foundation

/// The `longshot` executable built next to the test bundle, run as a real process.
public enum LongshotProcess {
    /// What a finished run left behind.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// The non-empty lines of standard error.
        public var stderrLines: [String] {
            stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        }
    }

    /// The built binary: `LONGSHOT_BINARY` if set, else `longshot` in the folder of the running test bundle.
    public static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["LONGSHOT_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("longshot")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw MissingExecutable(searched: candidates.map(\.path))
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the longshot executable was not found in \(searched.joined(separator: ", ")); build with --build-tests"
        }
    }

    /// Runs `longshot arguments...` to completion; output goes through files so neither pipe can fill.
    /// `environment` is set on top of this process's environment; past `timeout` the process is killed.
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], timeout: Duration? = nil
    ) throws -> Result {
        try run(
            arguments, in: directory, fullEnvironment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            timeout: timeout)
    }

    /// Runs `longshot arguments...` (or `program`'s) with exactly `fullEnvironment`; SIGKILLed, and an
    /// error, past `timeout`.
    public static func run(
        _ arguments: [String], in directory: URL, fullEnvironment: [String: String], timeout: Duration?, program: URL? = nil
    ) throws -> Result {
        let tag = UUID().uuidString
        let out = directory.appendingPathComponent(".stdout-\(tag)")
        let err = directory.appendingPathComponent(".stderr-\(tag)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        let process = Process()
        process.executableURL = try program ?? executable()
        process.arguments = arguments
        process.environment = fullEnvironment
        process.currentDirectoryURL = directory
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        ChildRegistry.add(pid)
        defer { ChildRegistry.remove(pid) }
        if let timeout {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                throw HarnessError("\(program?.lastPathComponent ?? "longshot") \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

/// A fresh directory under the system's temporary folder, deleted with everything in it on `remove()`.
public struct ScratchDirectory: Sendable {
    public let url: URL

    public init(_ label: String = "longshot-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Names in the directory (hidden ones included).
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
