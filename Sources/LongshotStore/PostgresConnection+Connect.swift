import Foundation

extension PostgresConnection {
    /// Connects, waiting while the server is down or starting up.
    ///
    /// Retries with a growing pause (50 ms up to 1 s) until a connection is made or `retryFor` has
    /// passed; used by the coordinator to ride out a PostgreSQL restart.
    /// - Throws: the last ``PostgresError`` when the time runs out, or at once for errors that waiting
    ///   cannot fix (an invalid URL, authentication failure, a missing database).
    public static func connect(_ url: String, retryFor: Duration) throws -> PostgresConnection {
        let deadline = ContinuousClock.now + retryFor
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try PostgresConnection(url)
            } catch let error as PostgresError {
                guard error.isTransient, ContinuousClock.now + pause < deadline else { throw error }
                Thread.sleep(forTimeInterval: pause.seconds)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    /// Makes sure the connection works, resetting it (and waiting up to `retryFor`) when it was lost.
    /// Cheap when the connection is fine: no round trip unless `probe` is true.
    /// - Throws: ``PostgresError`` when the server stays unreachable.
    public func reconnectIfNeeded(retryFor: Duration, probe: Bool = false) throws {
        if isConnected && probe {
            if (try? query("SELECT 1")) != nil { return }
        } else if isConnected {
            return
        }
        let deadline = ContinuousClock.now + retryFor
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try reset()
            } catch let error as PostgresError {
                guard ContinuousClock.now + pause < deadline else { throw error }
                Thread.sleep(forTimeInterval: pause.seconds)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }
}

extension PostgresError {
    /// True for connection errors that a later attempt may not hit (server down, starting, shutting down).
    var isTransient: Bool {
        let text = message.lowercased()
        let permanent = ["invalid uri", "invalid connection option", "missing \"=\"", "password authentication",
                         "does not exist", "no pg_hba.conf entry", "invalid integer value", "invalid port"]
        return isConnectionFailure && !permanent.contains { text.contains($0) }
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
