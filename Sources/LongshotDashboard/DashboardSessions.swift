import Foundation
import Synchronization

/// Who is signed in to the dashboard: a random session id (the browser's HttpOnly cookie) for each
/// credential that signed in, forgotten after ``lifetime`` without use or at sign-out. Memory only: a
/// coordinator restart signs everyone out.
final class DashboardSessions: Sendable {
    static let lifetime: Duration = .seconds(12 * 3600)
    static let limit = 10_000

    private struct Session {
        var token: String
        var lastUse: ContinuousClock.Instant
    }

    private let sessions = Mutex<[String: Session]>([:])

    /// A new session for `token` (already checked).
    func open(token: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        sessions.withLock { all in
            let now = ContinuousClock.now
            all = all.filter { now - $0.value.lastUse < Self.lifetime }
            if all.count >= Self.limit, let oldest = all.min(by: { $0.value.lastUse < $1.value.lastUse })?.key { all[oldest] = nil }
            all[id] = Session(token: token, lastUse: now)
        }
        return id
    }

    /// The credential behind session `id`, if it is current (and marks it used).
    func token(_ id: String) -> String? {
        sessions.withLock { all in
            guard var session = all[id] else { return nil }
            let now = ContinuousClock.now
            guard now - session.lastUse < Self.lifetime else {
                all[id] = nil
                return nil
            }
            session.lastUse = now
            all[id] = session
            return session.token
        }
    }

    func close(_ id: String) { sessions.withLock { _ = $0.removeValue(forKey: id) } }
}
