import Foundation
import Logging
import LongshotAuth
import LongshotLogging
import LongshotTransport

/// How a coordinator runs.
public struct CoordinatorConfig: Sendable {
    /// The control address workers and clients dial (REQ/REP), e.g. tcp://0.0.0.0:7700.
    public var listen: String
    /// The events address (PUB) for `watch`.
    public var events: String
    public var databaseURL: String
    /// Where finished videos are written.
    public var dataDirectory: URL
    /// Who may send requests, in which role (workers, clients, admins).
    public var credentials: Credentials
    public var version: String
    /// How long a lease lasts without renewal.
    public var leaseTTL: Duration = .seconds(15)
    /// How often workers heartbeat.
    public var heartbeatInterval: Duration = .seconds(1)
    /// A worker silent this long is offline and loses its leases (a dead worker is noticed within 10 s).
    public var workerTimeout: Duration = .seconds(6)
    /// How long an idle worker waits before asking again when there is no work (its `NoWork.retry_after_ms`).
    /// Workers subscribed to the "work" event topic ask again sooner, as soon as work may have appeared;
    /// this is the fallback for a lost notification.
    public var idleRetryAfter: Duration = .milliseconds(300)
    /// Attempts per window before it fails (and its job with it).
    public var maxAttempts: Int = 4
    /// First retry delay; doubles with each failed attempt.
    public var retryBackoff: Duration = .seconds(1)
    /// Tries at stitching, decoding and encoding a job whose windows are all done before the job fails
    /// (a crash of an external engine's decode, a transient disk error). A lost database is not counted:
    /// the job is left mid-finish and the sweep finishes it once PostgreSQL is back.
    public var finishAttempts: Int = 3
    /// The pause after the first failed finish; doubles with each further one (1 s, 2 s, ...).
    public var finishRetryBackoff: Duration = .seconds(1)
    /// Record metrics (queue gauges every sweep): set when the coordinator serves `/metrics`.
    public var metrics = false
    /// How long a job whose finish ran out of disk space waits before the sweep tries it again.
    public var outOfSpaceRetry: Duration = .seconds(5)
    /// Failures of one worker on one job after which it is blocked for that job.
    public var blockAfterFailures: Int = 2
    /// Concurrent request handlers. Each codenoise group holds one while it waits at a step barrier, so
    /// this bounds the groups a farm can run at once (with room for everything else).
    public var contexts: Int = 512
    /// Codenoise groups save a checkpoint after every this many steps (see docs/codenoise.md).
    public var checkpointEvery: Int = defaultCheckpointEvery
    public static let defaultCheckpointEvery = 4
    /// ... once at least this long after the group's previous checkpoint: engines whose steps take
    /// milliseconds lose less by replaying steps than by uploading latents every few steps.
    public var checkpointMinInterval: Duration = .seconds(2)
    /// How long the coordinator waits for PostgreSQL at start.
    public var databaseRetry: Duration = .seconds(120)
    /// How long one request waits for a lost database connection before answering "unavailable".
    public var operationRetry: Duration = .seconds(3)

    /// Database connections (each on its own thread).
    public var databaseConnections: Int = 4

    /// Certificates for `tls+tcp://` addresses (mutual TLS: peers must present a certificate of the CA).
    public var tls: TLSSettings?
    /// Keep a finished job's window results (and checkpoints) in the database after its video is stored,
    /// so a rerun of some windows renders only those; by default they are deleted (a rerun renders all).
    public var keepWindowResults = false
    /// Ended jobs (succeeded, failed, cancelled) are deleted, with their videos, this long after they
    /// ended; nil keeps them until `longshot delete`.
    public var jobRetention: Duration?
    /// How often a standby tries to take over, and the active coordinator checks it still leads.
    public var leadershipPoll: Duration = .milliseconds(500)
    /// At most this many connections at once; further ones are closed as they arrive.
    public var maxConnections: Int = 1024
    /// How the coordinator's log lines look, and the least severe level written.
    public var logFormat: LogFormat = .text
    public var logLevel: Logger.Level = .info
    /// URLs called with every job's end state (`--webhook`).
    public var webhooks: [String] = []
    /// Prefixes a job's own webhook URL (`submit --notify`) must start with; empty: jobs may name none.
    public var webhookAllow: [String] = []
    /// When set, each call carries `X-Longshot-Signature: sha256=HMAC-SHA256(secret, body)`.
    public var webhookSecret: [UInt8]?

    public init(
        listen: String, events: String, databaseURL: String, dataDirectory: URL, credentials: Credentials, version: String
    ) {
        self.listen = listen
        self.events = events
        self.databaseURL = databaseURL
        self.dataDirectory = dataDirectory
        self.credentials = credentials
        self.version = version
    }

    /// The events address that goes with a control address: the next port, or `-events` on an ipc path.
    public static func defaultEvents(for listen: String) -> String {
        if listen.hasPrefix("ipc://") { return listen + "-events" }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            return listen
        }
        return String(listen[...colon]) + String(port + 1)
    }
}
