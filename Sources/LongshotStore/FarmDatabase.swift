/// An actor that owns one ``FarmStore`` (and so one connection) for async code such as the coordinator.
///
/// Its methods run on a dedicated thread, so blocking database calls never occupy Swift's cooperative
/// thread pool. Before each operation a lost connection is re-established, waiting up to `retryFor`
/// while PostgreSQL is down or restarting; an operation that fails because the connection dropped
/// mid-way throws a ``PostgresError`` with ``PostgresError/isConnectionFailure`` set, and the caller
/// decides whether to retry it (each store method is one transaction: it either committed or not).
public actor FarmDatabase {
    private let executor: DedicatedThreadExecutor
    private let store: FarmStore
    /// How long an operation waits for PostgreSQL to come back.
    public let retryFor: Duration

    /// The actor's executor: its dedicated thread.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Connects (waiting up to `connectFor`, default `retryFor`) and applies pending migrations.
    /// - Throws: ``PostgresError`` when the server stays unreachable or a migration fails.
    public init(url: String, retryFor: Duration = .seconds(30), connectFor: Duration? = nil, blockAfterFailures: Int = 3) throws {
        executor = DedicatedThreadExecutor(name: "longshot.database")
        let store = try FarmStore(url: url, retryFor: connectFor ?? retryFor)
        store.blockAfterFailures = blockAfterFailures
        self.store = store
        self.retryFor = retryFor
    }

    deinit { executor.stop() }

    /// Runs `body` with the store on the database thread, reconnecting first if the connection was lost.
    /// - Throws: whatever `body` throws, or ``PostgresError`` when PostgreSQL stays unreachable.
    public func run<T: Sendable>(_ body: @Sendable (FarmStore) throws -> T) throws -> T {
        try store.connection.reconnectIfNeeded(retryFor: retryFor)
        return try body(store)
    }
}
