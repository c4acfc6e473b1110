import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process in its own session with pipes on its standard input, output and error: a thread reads
/// standard output into a buffer (so a reply can be awaited with a deadline), another keeps the last
/// lines of standard error. Writes never block past their deadline.
final class EngineProcess: @unchecked Sendable {
    /// How many lines of the engine's standard error are kept for error reports.
    static let stderrLineLimit = 40
    /// glibc's `POSIX_SPAWN_SETSID` (not exported to Swift).
    static let spawnSetSID: Int16 = 0x80

    let pid: pid_t
    let command: String
    private let stdinFD: Int32
    private let state = NSCondition()
    // Guarded by `state`.
    private var output: [UInt8] = []
    private var outputStart = 0
    private var outputClosed = false
    private var errorClosed = false
    private var errorLines: [String] = []
    private var errorPartial: [UInt8] = []
    private var exitStatus: Int32?
    private var stdinClosed = false

    /// Starts `/bin/sh -c command`.
    init(command: String, environment: [String: String] = [:]) throws(ExternalEngineError) {
        signal(SIGPIPE, SIG_IGN)  // a dead engine's stdin must give EPIPE, not kill this process
        self.command = command
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw ExternalEngineError(.spawn, "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec (pipe2 is not exported to Swift): other children must not hold these pipes open.
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Self.spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ["/bin/sh", "-c", command]
        let envp = env.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let rc = Self.withCStrings(argv) { cArgv in
            Self.withCStrings(envp) { cEnv in posix_spawn(&child, "/bin/sh", &actions, &attributes, cArgv, cEnv) }
        }
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw ExternalEngineError(.spawn, "cannot start `\(command)`: \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]
        _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        let (outFD, errFD) = (outPipe[0], errPipe[0])
        Thread.detachNewThread { [self] in readLoop(outFD, stdout: true) }
        Thread.detachNewThread { [self] in readLoop(errFD, stdout: false) }
    }

    deinit {
        terminate(grace: 0)
    }

    private func readLoop(_ fd: Int32, stdout: Bool) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            state.lock()
            if n <= 0 {
                if stdout {
                    outputClosed = true
                } else {
                    if !errorPartial.isEmpty { appendErrorLine(errorPartial) }
                    errorPartial = []
                    errorClosed = true
                }
                state.broadcast()
                state.unlock()
                close(fd)
                return
            }
            if stdout {
                output.append(contentsOf: chunk[0..<n])
            } else {
                for byte in chunk[0..<n] {
                    if byte == UInt8(ascii: "\n") {
                        appendErrorLine(errorPartial)
                        errorPartial = []
                    } else if errorPartial.count < 4096 {
                        errorPartial.append(byte)
                    }
                }
            }
            state.broadcast()
            state.unlock()
        }
    }

    private func appendErrorLine(_ bytes: [UInt8]) {
        errorLines.append(String(decoding: bytes, as: UTF8.self))
        if errorLines.count > Self.stderrLineLimit { errorLines.removeFirst(errorLines.count - Self.stderrLineLimit) }
    }

    /// The last lines of standard error; waits up to `settle` seconds for the engine to close it (so the
    /// lines a crashing engine wrote last are in).
    func stderrTail(settle: Double = 1) -> [String] {
        let deadline = Date(timeIntervalSinceNow: settle)
        state.lock()
        defer { state.unlock() }
        while !errorClosed, state.wait(until: deadline) {}
        return errorLines + (errorPartial.isEmpty ? [] : [String(decoding: errorPartial, as: UTF8.self)])
    }

    /// Writes all of `bytes` to the engine's standard input before `deadline`.
    func write(_ bytes: [UInt8], deadline: Date) throws(ExternalEngineError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
                continue
            }
            let error = errno
            if n < 0, error == EINTR { continue }
            if n < 0, error == EAGAIN || error == EWOULDBLOCK {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { throw ExternalEngineError(.timeout, "engine did not read its input") }
                var fds = pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)
                _ = poll(&fds, 1, Int32(min(left * 1000 + 1, 60_000)))
                continue
            }
            throw ExternalEngineError(.crashed, "engine closed its input (\(String(cString: strerror(error))))")
        }
    }

    /// The next `count` bytes of standard output, waiting until `deadline`; `nil` on end of file.
    private func take(_ count: Int, deadline: Date) throws(ExternalEngineError) -> [UInt8]? {
        state.lock()
        defer { state.unlock() }
        while output.count - outputStart < count {
            if outputClosed { return nil }
            if !state.wait(until: deadline), output.count - outputStart < count, !outputClosed {
                throw ExternalEngineError(.timeout, "no reply")
            }
        }
        let bytes = Array(output[outputStart..<(outputStart + count)])
        outputStart += count
        if outputStart > 1 << 20, outputStart * 2 > output.count {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        return bytes
    }

    /// Reads one frame: `u32 header length, u32 payload length, header, payload` (little-endian).
    /// - Returns: `nil` when the engine closed its output at a frame boundary.
    func readFrame(deadline: Date, maxHeader: Int = 1 << 24) throws(ExternalEngineError) -> (header: [UInt8], payload: [UInt8])? {
        guard let prefix = try take(8, deadline: deadline) else { return nil }
        let headerLength = Int(UInt32(prefix[0]) | UInt32(prefix[1]) << 8 | UInt32(prefix[2]) << 16 | UInt32(prefix[3]) << 24)
        let payloadLength = Int(UInt32(prefix[4]) | UInt32(prefix[5]) << 8 | UInt32(prefix[6]) << 16 | UInt32(prefix[7]) << 24)
        guard headerLength > 0, headerLength <= maxHeader else {
            let shown = String(decoding: prefix, as: UTF8.self).unicodeScalars.map { $0.isASCII && $0.value >= 32 ? String($0) : "." }.joined()
            throw ExternalEngineError(
                .protocolViolation, "bad frame: header length \(headerLength) (first bytes \"\(shown)\"); is the engine printing to stdout?")
        }
        guard let header = try take(headerLength, deadline: deadline), let payload = try take(payloadLength, deadline: deadline) else {
            throw ExternalEngineError(.crashed, "engine closed its output in the middle of a reply")
        }
        return (header, payload)
    }

    /// Closes the engine's standard input (a well-behaved engine then exits).
    func closeInput() {
        state.lock()
        defer { state.unlock() }
        if !stdinClosed {
            stdinClosed = true
            close(stdinFD)
        }
    }

    /// The exit status if the process has exited within `wait` seconds: `"exit N"` or `"signal N"`.
    func exitDescription(wait: Double) -> String? {
        let deadline = Date(timeIntervalSinceNow: wait)
        while true {
            if let status = reap() { return status & 0x7f == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(status & 0x7f)" }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    private func reap() -> Int32? {
        state.lock()
        defer { state.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exitStatus = status }
        return exitStatus
    }

    /// Closes its input, gives it `grace` seconds to exit, then kills its whole process group.
    func terminate(grace: Double) {
        closeInput()
        if exitDescription(wait: grace) == nil {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            _ = exitDescription(wait: 5)
        } else {
            kill(-pid, SIGKILL)  // anything it left behind in its session
        }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
