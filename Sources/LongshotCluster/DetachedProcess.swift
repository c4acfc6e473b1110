import Foundation

/// Starts a process that outlives this one: a new session (no controlling terminal, so Ctrl-C on
/// `longshot up` does not reach it), standard input from `/dev/null`, standard output and error
/// appended to a log file, and no other inherited descriptors.
public enum DetachedProcess {
    /// Closes every descriptor above 2 (this process's sockets, Foundation's child-watch socket),
    /// then runs the command. (No `2>/dev/null` on the loop: with `exec` inside, bash would keep it,
    /// and the command's standard error would be lost. `-L` skips the listing's own, already closed, descriptor.)
    static let closeDescriptorsAndExec = """
        for fd in /proc/self/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ] && [ -L "$fd" ]; then eval "exec $n>&-"; fi; done
        exec "$@"
        """

    /// glibc's `POSIX_SPAWN_SETSID` (not exported to Swift).
    static let spawnSetSID: Int16 = 0x80

    /// The environment variables that carry credentials.
    public static let credentialVariables: Set<String> = [
        "LONGSHOT_TOKEN", "LONGSHOT_WORKER_TOKEN", "LONGSHOT_CLIENT_TOKEN", "LONGSHOT_ADMIN_TOKEN", "LONGSHOT_CREDENTIALS",
    ]

    /// Starts `executable arguments...` detached and returns its pid (the pid the command keeps after exec).
    /// - Parameters:
    ///   - environment: Variables set on top of this process's environment, whose credentials
    ///     (``credentialVariables``) are not passed on: each child gets only the one it is given.
    ///   - logPath: Created if missing; output is appended.
    /// - Throws: ``LocalClusterError`` when the log cannot be opened or the spawn fails.
    public static func spawn(
        executable: String, arguments: [String], environment: [String: String], logPath: String
    ) throws(LocalClusterError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(
            &attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment.filter { !credentialVariables.contains($0.key) }
        for (key, value) in environment { env[key] = value }
        let argv = ["/bin/bash", "-c", closeDescriptorsAndExec, "longshot-spawn", executable] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }

        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnv in
                posix_spawn(&pid, "/bin/bash", &actions, &attributes, cArgv, cEnv)
            }
        }
        guard rc == 0 else {
            throw LocalClusterError("cannot start \(executable) \(arguments.first ?? ""): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    private static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
