import Foundation

/// A job window, named by job and index.
public struct WindowRef: Sendable, Hashable {
    public var jobID: String
    public var index: Int

    /// Names a window.
    public init(jobID: String, index: Int) {
        self.jobID = jobID
        self.index = index
    }
}

/// One row of `workers`, with the windows it currently holds leases on.
public struct WorkerRecord: Sendable, Hashable {
    public var id: String
    public var name: String
    public var host: String
    public var pid: Int
    public var engine: String
    public var slots: Int
    public var version: String
    public var state: WorkerState
    public var registeredAt: Date
    public var lastSeenAt: Date
    /// True when the worker takes no new leases.
    public var drain: Bool
    /// The windows it holds a lease on now.
    public var currentWindows: [WindowRef]

    static let columns = """
        id, name, host, pid, engine, slots, version, state, extract(epoch FROM registered_at)::float8 AS registered_at,
        extract(epoch FROM last_seen_at)::float8 AS last_seen_at, drain
        """

    init(row: PostgresRow) throws {
        id = try row.string("id")
        name = try row.string("name")
        host = try row.string("host")
        pid = try row.int("pid")
        engine = try row.string("engine")
        slots = try row.int("slots")
        version = try row.string("version")
        state = try row.enumValue("state")
        registeredAt = try row.date("registered_at")
        lastSeenAt = try row.date("last_seen_at")
        drain = try row.bool("drain")
        currentWindows = []
    }
}

/// What a worker reports about itself when it registers.
public struct WorkerInfo: Sendable, Hashable {
    /// A unique, stable name (re-registering the same name updates that worker).
    public var name: String
    public var host: String
    public var pid: Int
    /// The names of the engines it offers, comma-separated.
    public var engine: String
    public var slots: Int
    public var version: String
    /// The engines' reports, a JSON array of objects.
    public var offers: String
    /// SHA-256 (hex) of the session secret this registration hands the worker.
    public var sessionSHA256: String?
    /// The name of the worker credential it registered with.
    public var credential: String?

    /// Creates a registration.
    public init(
        name: String, host: String, pid: Int, engine: String, slots: Int = 1, version: String, offers: String = "[]",
        sessionSHA256: String? = nil, credential: String? = nil
    ) {
        self.sessionSHA256 = sessionSHA256
        self.credential = credential
        self.name = name
        self.host = host
        self.pid = pid
        self.engine = engine
        self.slots = slots
        self.version = version
        self.offers = offers
    }
}
