import Foundation

/// A pid file of a local cluster process, and the checks that it still names that process.
public struct PidFile: Sendable {
    /// The file's path.
    public let path: String
    /// The `longshot` subcommand the process runs (`coordinator` or `worker`), checked in its command line.
    public let role: String

    public init(path: String, role: String) {
        self.path = path
        self.role = role
    }

    /// The recorded pid, if the file exists and holds a number.
    public var pid: pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The recorded pid when that process is alive and is still `longshot ROLE` (a reused pid is not ours).
    public var livePID: pid_t? {
        guard let pid, pid > 0, ProcessProbe.isAlive(pid), ProcessProbe.isLongshot(pid, role: role) else { return nil }
        return pid
    }

    /// Records `pid`.
    public func write(_ pid: pid_t) throws(LocalClusterError) {
        do {
            try "\(pid)\n".write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw LocalClusterError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Deletes the file.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Questions about processes by pid, answered from `kill(pid, 0)` and `/proc`.
public enum ProcessProbe {
    /// True when a process with this pid exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        // A zombie (exited, not yet reaped) still answers kill(pid, 0).
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return false }
        }
        return true
    }

    /// The process's arguments (`/proc/PID/cmdline`), empty when unreadable.
    public static func arguments(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// True when the process runs the `longshot` executable with subcommand `role`.
    public static func isLongshot(_ pid: pid_t, role: String) -> Bool {
        let args = arguments(pid)
        guard args.count >= 2 else { return false }
        return URL(fileURLWithPath: args[0]).lastPathComponent == "longshot" && args[1] == role
    }

    /// Waits until the process is gone or `timeout` passes; true when it is gone. Reaps it when it is
    /// this process's child.
    public static func waitForExit(_ pid: pid_t, timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            if !isAlive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        return !isAlive(pid)
    }

    /// The running executable's own path (`/proc/self/exe`, else `argv[0]` resolved).
    public static func currentExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            !path.hasSuffix(" (deleted)")
        {
            return path
        }
        let arg0 = CommandLine.arguments.first ?? "longshot"
        if arg0.contains("/") { return URL(fileURLWithPath: arg0).standardizedFileURL.resolvingSymlinksInPath().path }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/\(arg0)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return arg0
    }
}
