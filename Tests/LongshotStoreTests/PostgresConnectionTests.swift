import Foundation
import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct PostgresConnectionTests {
    @Test func oddStringsRoundTripAsParameters() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        let strings = ["it's", "\"quoted\"", "back\\slash", "'); DROP TABLE x; --", "ünïcødé ✓ 日本語 🎬", "", "$1", "line\nbreak"]
        for text in strings {
            let row = try #require(try db.query("SELECT $1::text, length($1)", [.text(text)]).first)
            #expect(try row.string(0) == text)
            #expect(try row.int(1) == text.count)
        }
    }

    @Test func typedAccessAndNulls() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        let row = try #require(
            try db.query(
                "SELECT 42::int AS i, 9007199254740993::int8 AS big, 2.5::float8 AS d, true AS b, NULL::text AS n, 'x' AS s",
                []
            ).first)
        #expect(try row.int("i") == 42)
        #expect(try row.int64("big") == 9_007_199_254_740_993)
        #expect(try row.double("d") == 2.5)
        #expect(try row.bool("b"))
        #expect(try row.optionalString("n") == nil)
        #expect(try row.isNull("n"))
        #expect(throws: PostgresError.self) { try row.string("n") }
        #expect(try row.string("s") == "x")
        #expect(try db.query("SELECT $1::int + 1", [.int(41)]).first?.int(0) == 42)
        #expect(try db.query("SELECT $1::int IS NULL", [nil]).first?.bool(0) == true)
    }

    @Test func oneMebibyteOfBinaryRoundTrips() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        try db.query("CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try db.query("INSERT INTO blobs VALUES (1, $1)", [.bytes(bytes)])
        let text = try #require(try db.query("SELECT data, octet_length(data) FROM blobs").first)
        #expect(try text.int(1) == 1 << 20)
        #expect(try text.bytes(0) == bytes)
        let binary = try #require(try db.query("SELECT data FROM blobs WHERE id = $1::int", [1], format: .binary).first)
        #expect(try binary.bytes(0) == bytes)
    }

    @Test func transactionRollsBackOnThrow() throws {
        struct Boom: Error {}
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        try db.query("CREATE TABLE t (v text)")
        #expect(throws: Boom.self) {
            try db.transaction { db in
                try db.query("INSERT INTO t VALUES ($1)", ["lost"])
                throw Boom()
            }
        }
        try db.transaction { db in
            try db.query("INSERT INTO t VALUES ($1)", ["kept"])
            // An inner failure rolls back only the inner savepoint.
            _ = try? db.transaction { db in
                try db.query("INSERT INTO t VALUES ($1)", ["inner"])
                throw Boom()
            }
        }
        let values = try db.query("SELECT v FROM t ORDER BY v").rows.map { try $0.string(0) }
        #expect(values == ["kept"])
    }

    @Test func serverErrorsCarrySQLState() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        try db.query("CREATE TABLE u (id int PRIMARY KEY)")
        try db.query("INSERT INTO u VALUES (1)")
        let error = try #require(throws: PostgresError.self) { try db.query("INSERT INTO u VALUES (1)") }
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(!error.isConnectionFailure)
        #expect(!error.description.contains("\n"))
        #expect(String(reflecting: error).contains("INSERT INTO u"))
        let syntax = try #require(throws: PostgresError.self) { try db.query("SELEC 1") }
        #expect(syntax.sqlState == "42601")
        // The connection stays usable after errors.
        #expect(try db.query("SELECT 1").first?.int(0) == 1)
    }

    @Test func badURLGivesAClearError() throws {
        let invalid = try #require(throws: PostgresError.self) { try PostgresConnection("postgresql://[::1") }
        #expect(invalid.operation == .connect)
        #expect(invalid.description.hasPrefix("PostgreSQL connect failed: "))
        let unreachable = try #require(throws: PostgresError.self) {
            try PostgresConnection("postgresql:///longshot?host=/nonexistent/sock&port=5999")
        }
        #expect(unreachable.isConnectionFailure)
        #expect(unreachable.description.contains("/nonexistent/sock"))
        // The retrying connect gives up with the same kind of error.
        let started = ContinuousClock.now
        #expect(throws: PostgresError.self) {
            try PostgresConnection.connect("host=/nonexistent/sock port=5999 dbname=x", retryFor: .milliseconds(300))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func listenAndNotify() throws {
        let url = try TestPostgres.freshDatabase()
        let listener = try PostgresConnection(url)
        let sender = try PostgresConnection(url)
        try listener.listen("jobs_changed")
        try sender.notify("jobs_changed", payload: "j-abc")
        let received = try listener.notifications(timeout: .seconds(5))
        #expect(received.map(\.payload) == ["j-abc"])
        #expect(received.first?.channel == "jobs_changed")
        #expect(try listener.notifications(timeout: .milliseconds(50)).isEmpty)
        #expect(throws: PostgresError.self) { try listener.listen("bad; name") }
    }
}
