import CLibPQ
import Foundation

/// A message delivered by PostgreSQL's `NOTIFY`.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload (may be empty).
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int
}

extension PostgresConnection {
    /// Subscribes this session to a channel (`LISTEN`). The channel name must be a plain identifier.
    /// - Throws: ``PostgresError`` (`.listen`) for a bad channel name, or from the server.
    public func listen(_ channel: String) throws {
        try query("LISTEN \(try Self.identifier(channel))")
    }

    /// Sends a notification to every session listening on `channel` (`pg_notify`, parameterised).
    public func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// Waits up to `timeout` for notifications and returns those that arrived (possibly none).
    /// - Throws: ``PostgresError`` (`.listen`) when the connection is lost.
    public func notifications(timeout: Duration) throws -> [PostgresNotification] {
        var collected = drainNotifications()
        if !collected.isEmpty { return collected }
        var descriptor = pollfd(fd: PQsocket(pgconn), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw PostgresError(.listen, message: "no socket", isConnectionFailure: true) }
        let ready = poll(&descriptor, 1, Int32(max(0, timeout.seconds * 1000)))
        if ready > 0 {
            guard PQconsumeInput(pgconn) == 1 else {
                throw PostgresError(.listen, message: lastErrorMessage, isConnectionFailure: !isConnected)
            }
            collected = drainNotifications()
        }
        return collected
    }

    private func drainNotifications() -> [PostgresNotification] {
        var collected: [PostgresNotification] = []
        while let notice = PQnotifies(pgconn) {
            let value = notice.pointee
            collected.append(
                PostgresNotification(
                    channel: String(cString: value.relname), payload: String(cString: value.extra),
                    senderPID: Int(value.be_pid)))
            PQfreemem(notice)
        }
        return collected
    }

    /// Checks that `name` is a plain lower-case SQL identifier (for the few statements that take no parameters).
    static func identifier(_ name: String) throws -> String {
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        guard allowed, let first = name.utf8.first, !(48...57).contains(first), name.utf8.count <= 63 else {
            throw PostgresError(.listen, message: "invalid identifier \(name.debugDescription): use [a-z_][a-z0-9_]*")
        }
        return name
    }
}
