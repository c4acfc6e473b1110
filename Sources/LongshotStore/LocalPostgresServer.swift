import Foundation

/// A private PostgreSQL server in a directory, reachable only through a Unix socket in that directory.
///
/// Used by tests and by `longshot up`. On first start it runs `initdb` (UTF-8, scram-sha-256 password
/// authentication with a random password kept in the 0600 libpq password file `DIR/pgpass`), then
/// `pg_ctl start` with `listen_addresses=''`, `fsync` on and the socket in `DIR/sock` (mode 0700: only the
/// server's user, and root, reach it; the password is a second lock behind it), and creates the database
/// (`longshot` by default). PostgreSQL refuses to run as root, so as root every server command runs as
/// the `postgres` OS user (`runuser -u postgres --`) and the directory is handed to that user; its parent
/// directories must be traversable by it (a directory under `/tmp` works, one under `/root` does not).
public struct LocalPostgresServer: Sendable {
    /// The directory holding `data/`, `sock/` and `server.log`.
    public let directory: String
    /// The port number; with no TCP listener it only names the socket file, so it need not be free.
    public let port: Int
    /// The database created on start.
    public let database: String
    /// The directory with `initdb` and `pg_ctl` (found automatically when nil is given).
    public let binDirectory: String
    /// Whether the server syncs its writes to disk (`fsync`): on for a cluster's data; tests turn it off.
    public let durable: Bool

    /// Describes a server; nothing runs until ``start()``.
    /// - Throws: ``LocalPostgresError`` when no PostgreSQL server binaries are installed.
    public init(
        directory: String, port: Int = 5432, database: String = "longshot", binDirectory: String? = nil, durable: Bool = true
    ) throws {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.durable = durable
        self.port = port
        self.database = database
        guard let bin = binDirectory ?? Self.findBinDirectory() else {
            throw LocalPostgresError(
                "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/pg_ctl): install the postgresql package")
        }
        self.binDirectory = bin
    }

    /// The socket directory.
    public var socketDirectory: String { directory + "/sock" }
    /// The data directory.
    public var dataDirectory: String { directory + "/data" }
    /// The server log.
    public var logFile: String { directory + "/server.log" }
    /// The libpq password file (`*:*:*:postgres:PASSWORD`, mode 0600) that ``url`` names as `passfile`.
    public var passwordFile: String { directory + "/pgpass" }

    /// A URL for ``database`` (as user `postgres`).
    public var url: String { url(database: database) }

    /// A URL for another database on this server.
    public func url(database: String) -> String {
        "postgresql:///\(database)?host=\(socketDirectory)&port=\(port)&user=postgres&passfile=\(passwordFile)"
    }

    /// True when the server is running (`pg_ctl status`).
    public var isRunning: Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION")
            && (try? run(tool("pg_ctl"), ["-D", dataDirectory, "status"])) != nil
    }

    /// Initialises the cluster if needed, starts the server if it is not running, and creates ``database``.
    /// - Throws: ``LocalPostgresError`` with the tool's output (and the log's tail) when a step fails.
    public func start() throws {
        try prepareDirectory()
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialise()
        }
        if !isRunning {
            let options = "-c listen_addresses='' -k \(socketDirectory) -c unix_socket_permissions=0700 -p \(port) -c fsync=\(durable ? "on" : "off")"
            do {
                try run(tool("pg_ctl"), ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", options, "start"])
            } catch let error as LocalPostgresError {
                throw LocalPostgresError(error.message + "\nserver log:\n" + logTail())
            }
        }
        try requirePasswords()
        try createDatabase(database)
    }

    /// Stops the server (fast shutdown: sessions are disconnected); does nothing when it is not running.
    public func stop() throws {
        guard isRunning else { return }
        try run(tool("pg_ctl"), ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    /// Creates a database if it does not exist. The name must be a plain identifier (`[a-z_][a-z0-9_]*`).
    public func createDatabase(_ name: String) throws {
        let connection = try PostgresConnection.connect(url(database: "postgres"), retryFor: .seconds(10))
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)])
        if exists.rowCount == 0 {
            try connection.query("CREATE DATABASE \(try PostgresConnection.identifier(name))")
        }
    }

    /// Drops a database if it exists, disconnecting its sessions.
    public func dropDatabase(_ name: String) throws {
        let connection = try PostgresConnection(url(database: "postgres"))
        try connection.query("DROP DATABASE IF EXISTS \(try PostgresConnection.identifier(name)) WITH (FORCE)")
    }

    /// The last lines of the server log.
    public func logTail(lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    func tool(_ name: String) -> String { binDirectory + "/" + name }

    static func findBinDirectory() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let sorted = versions.compactMap { Int($0) }.sorted(by: >)
        return sorted.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") }
    }
}

/// A failure of ``LocalPostgresServer``: which command failed and what it printed.
public struct LocalPostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with the command's output.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { "local PostgreSQL: " + message }
}
