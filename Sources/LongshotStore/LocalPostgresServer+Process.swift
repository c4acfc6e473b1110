import Foundation

extension LocalPostgresServer {
    /// True when this process runs as root, so server commands must run as `postgres`.
    static var runningAsRoot: Bool { getuid() == 0 }

    static let closeDescriptorsAndExec = """
        for fd in /proc/self/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done 2>/dev/null
        exec "$@"
        """

    /// Creates the directory (and the socket directory) and, as root, hands it to the `postgres` user.
    func prepareDirectory() throws {
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        // The server's files and socket are its user's alone.
        chmod(directory, 0o700)
        chmod(socketDirectory, 0o700)
        guard Self.runningAsRoot else { return }
        try run("/bin/chown", ["-R", "postgres:postgres", directory], asServerUser: false)
        do {
            try run("/usr/bin/test", ["-w", directory, "-a", "-x", directory])
        } catch {
            throw LocalPostgresError(
                "the postgres user cannot use \(directory): its parent directories must be traversable (use a directory under /tmp)")
        }
    }

    /// Runs a command to completion (as `postgres` when running as root) and returns its output.
    /// Output goes to a temporary file, not a pipe: `pg_ctl start` leaves a server running that would hold a pipe open.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], asServerUser: Bool = true) throws -> String {
        let process = Process()
        let command = asServerUser && Self.runningAsRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] : [executable]
        // Foundation on Linux notices a child's exit through a socket the child inherits; a server started by
        // `pg_ctl start` would inherit it too and `waitUntilExit` would never return. The shell closes every
        // descriptor above 2 (that socket, and any other this process has open) before running the command.
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", Self.closeDescriptorsAndExec, "longshot-run"] + command + arguments
        let outputPath = NSTemporaryDirectory() + "longshot-pg-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LocalPostgresError("cannot run \(executable): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let name = URL(fileURLWithPath: executable).lastPathComponent
            throw LocalPostgresError("\(name) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(text)")
        }
        return text
    }
}
