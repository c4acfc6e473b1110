import Foundation
import Synchronization

/// Replaces this process with a fresh run of the same executable and arguments (the pid stays, so pid
/// files and supervisors keep tracking it).
enum Reexec {
    /// The descriptors open when the process started (inherited: kept across the restart, as a parent
    /// watching this process may rely on them).
    private static let inherited = Mutex<Set<Int32>>([])

    /// Notes the inherited descriptors; call first thing.
    static func recordInheritedDescriptors() {
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        inherited.withLock { $0 = Set(open) }
    }

    static func now() -> Never {
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        // Descriptors this run opened (sockets, engine pipes) must not leak into the next one.
        let keep = inherited.withLock { $0 }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(name), fd > 2, !keep.contains(fd) else { continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        execv("/proc/self/exe", &argv)
        FileHandle.standardError.write(Data("longshot: cannot restart itself: \(String(cString: strerror(errno)))\n".utf8))
        exit(75)
    }
}
