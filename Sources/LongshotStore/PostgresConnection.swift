import CLibPQ

/// One connection to PostgreSQL, owning its `PGconn*` (closed with `PQfinish` in `deinit`).
///
/// A connection is not thread-safe: it is deliberately not `Sendable`. Confine it to one thread
/// or actor (see ``FarmDatabase``), or give each thread its own connection.
/// Every statement goes through `PQexecParams`: values are always passed as parameters.
public final class PostgresConnection {
    private var handle: OpaquePointer
    /// The URL or conninfo string this connection was made from.
    public let conninfo: String
    /// How deep the current ``transaction(_:)`` nesting is (0: none).
    var transactionDepth = 0

    /// Connects to PostgreSQL.
    /// - Parameter conninfo: a URL (`postgresql://user@host:port/db`, `postgresql:///db?host=/dir&port=5432`)
    ///   or a keyword string (`host=/dir port=5432 dbname=longshot`).
    /// - Throws: ``PostgresError`` (`.connect`) with libpq's message when the URL is invalid or the server
    ///   cannot be reached.
    public init(_ conninfo: String) throws {
        self.conninfo = conninfo
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError(.connect, message: "out of memory creating a libpq connection", isConnectionFailure: true)
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            // Not yet stored in `self`, so `deinit` will not finish it a second time.
            let message = String(libpq: PQerrorMessage(handle)) ?? "connection failed"
            PQfinish(handle)
            throw PostgresError(.connect, message: message, isConnectionFailure: true)
        }
        PQsetNoticeProcessor(handle, { _, _ in }, nil)  // NOTICEs are not errors; keep them off stderr.
        self.handle = handle
    }

    deinit { PQfinish(handle) }

    /// True while libpq reports the connection as usable (`CONNECTION_OK`). A lost server is only
    /// noticed by the next statement, which fails with ``PostgresError/isConnectionFailure``.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's process id for this session.
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    /// Re-establishes the connection with the same parameters (`PQreset`).
    /// Any open transaction is gone afterwards.
    /// - Throws: ``PostgresError`` (`.reset`) when the server is still unreachable.
    public func reset() throws {
        PQreset(handle)
        transactionDepth = 0
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(.reset, message: lastErrorMessage, isConnectionFailure: true)
        }
    }

    /// Runs one parameterised statement.
    /// - Parameters:
    ///   - sql: a single SQL statement with `$1`, `$2`, … placeholders.
    ///   - params: the values for the placeholders; `bytes` travel as binary `bytea`.
    ///   - format: the result format (binary is best for large `bytea` columns).
    /// - Returns: the result, owned by the caller.
    /// - Throws: ``PostgresError`` (`.query`) with the SQLSTATE and server message.
    @discardableResult
    public func query(_ sql: String, _ params: [PostgresValue] = [], format: PostgresFormat = .text) throws
        -> PostgresResult
    {
        let result = try execute(sql, params, format: format)
        let status = PQresultStatus(result.handle)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            let message = String(libpq: PQresultErrorMessage(result.handle)) ?? lastErrorMessage
            let state = String(libpq: PQresultErrorField(result.handle, Int32(UInt8(ascii: "C"))))
            throw PostgresError(.query, message: message, sqlState: state, sql: sql, isConnectionFailure: !isConnected)
        }
    }

    private func execute(_ sql: String, _ params: [PostgresValue], format: PostgresFormat) throws -> PostgresResult {
        var types = [Oid](repeating: 0, count: params.count)
        var lengths = [Int32](repeating: 0, count: params.count)
        var formats = [Int32](repeating: 0, count: params.count)
        // Every parameter's bytes, NUL-terminated for text, kept alive for the call.
        var storage = [[UInt8]]()
        storage.reserveCapacity(params.count)
        for (i, param) in params.enumerated() {
            switch param {
            case .null:
                storage.append([])
            case .text(let text):
                storage.append(Array(text.utf8) + [0])
            case .bytes(let bytes):
                types[i] = 17  // bytea
                formats[i] = 1
                lengths[i] = Int32(bytes.count)
                storage.append(bytes)
            }
        }
        let pointers = storage.enumerated().map { i, bytes -> UnsafeMutablePointer<CChar>? in
            if case .null = params[i] { return nil }
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { pointer.update(from: $0.baseAddress!, count: bytes.count) }
            }
            return pointer
        }
        defer { pointers.forEach { $0?.deallocate() } }
        let raw = pointers.map { UnsafePointer($0) }
        let handle = PQexecParams(self.handle, sql, Int32(params.count), types, raw, lengths, formats, format.rawValue)
        guard let handle else {
            throw PostgresError(.query, message: lastErrorMessage, sql: sql, isConnectionFailure: !isConnected)
        }
        return PostgresResult(handle: handle, sql: sql)
    }

    /// libpq's last error message for this connection.
    var lastErrorMessage: String {
        String(libpq: PQerrorMessage(handle)).map { $0.isEmpty ? "unknown libpq error" : $0 } ?? "unknown libpq error"
    }

    /// The raw handle, for the notification helpers in this module.
    var pgconn: OpaquePointer { handle }
}
