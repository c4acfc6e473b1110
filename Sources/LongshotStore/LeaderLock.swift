/// Which of the coordinators on one database is active: the one holding a session-level advisory lock
/// (`pg_try_advisory_lock`) on a connection of its own. PostgreSQL releases the lock when that session
/// ends, so a coordinator that dies (kill -9, a lost machine) frees it as soon as the server sees its
/// connection close, and a standby polling for it takes over.
///
/// Runs its blocking libpq calls on a thread of its own, not on Swift's cooperative pool.
public actor LeaderLock {
    /// The advisory lock key: "Longshot" in ASCII.
    public static let key: Int64 = 0x4c6f_6e67_7368_6f74

    private let executor = DedicatedThreadExecutor(name: "longshot-leader")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let url: String
    private var connection: PostgresConnection?
    /// Whether this process holds the lock on `connection`.
    public private(set) var isHeld = false

    /// - Parameter url: the farm's database; connections give up after 3 s, so a lost server is noticed.
    public init(url: String) {
        self.url = Self.withConnectTimeout(url)
    }

    /// The outcome of trying to become (or stay) the active coordinator.
    public enum Attempt: Sendable, Equatable {
        /// This process holds the lock.
        case held
        /// Another session holds it: another coordinator is active.
        case heldByAnother
        /// The database cannot be reached; nothing is known.
        case unreachable(String)
    }

    /// Takes the lock if it is free (idempotent while held).
    public func tryAcquire() -> Attempt {
        do {
            if isHeld, let connection {
                try connection.query("SELECT 1")
                return .held
            }
            isHeld = false
            let connection = try self.connection ?? PostgresConnection(url)
            self.connection = connection
            let got = try connection.query("SELECT pg_try_advisory_lock($1::bigint)", [.int64(Self.key)]).first?.string(0) == "t"
            isHeld = got
            return got ? .held : .heldByAnother
        } catch {
            // The session (and with it any lock) is gone or going: start from a new connection next time.
            connection = nil
            isHeld = false
            return .unreachable("\(error)")
        }
    }

    /// Gives the lock up (a standby takes over at once) and closes the connection.
    public func release() {
        if isHeld { _ = try? connection?.query("SELECT pg_advisory_unlock($1::bigint)", [.int64(Self.key)]) }
        connection = nil
        isHeld = false
    }

    static func withConnectTimeout(_ url: String) -> String {
        guard !url.contains("connect_timeout") else { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "connect_timeout=3"
        }
        return url + " connect_timeout=3"
    }
}
