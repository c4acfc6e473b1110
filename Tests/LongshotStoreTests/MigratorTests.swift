import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct MigratorTests {
    @Test func farmSchemaAppliesOnceAndIsIdempotent() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        #expect(try FarmSchema.migrate(db) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(try FarmSchema.migrate(db) == [])
        #expect(try Migrator(FarmSchema.migrations).appliedVersions(db) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let tables = try db.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
        ).rows.map { try $0.string(0) }
        #expect(tables == [
            "attempts", "events", "group_checkpoints", "groups", "job_endings", "job_videos", "jobs", "notifications", "schema_migrations",
            "segments", "windows", "worker_blocks", "workers",
        ])
    }

    @Test func laterVersionsApplyInOrderAndFailuresRollBack() throws {
        let db = try PostgresConnection(try TestPostgres.freshDatabase())
        let one = Migration(version: 1, name: "one", statements: ["CREATE TABLE a (x int)"])
        let two = Migration(version: 2, name: "two", statements: ["ALTER TABLE a ADD COLUMN y int", "CREATE TABLE b (z int)"])
        let broken = Migration(version: 3, name: "broken", statements: ["CREATE TABLE c (z int)", "CREATE TABLE c (z int)"])
        #expect(try Migrator([one]).migrate(db) == [1])
        #expect(try Migrator([two, one]).migrate(db) == [2])
        #expect(throws: PostgresError.self) { try Migrator([one, two, broken]).migrate(db) }
        #expect(try Migrator([one, two]).appliedVersions(db) == [1, 2])
        #expect(try db.query("SELECT to_regclass('c') IS NULL").first?.bool(0) == true)
        // A database newer than the code is refused, and so is a renamed version.
        let newer = try #require(throws: PostgresError.self) { try Migrator([one]).migrate(db) }
        #expect(newer.description.contains("newer"))
        #expect(throws: PostgresError.self) {
            try Migrator([one, Migration(version: 2, name: "renamed", statements: [])]).migrate(db)
        }
    }

    @Test func concurrentMigratorsDoNotRace() throws {
        let url = try TestPostgres.freshDatabase()
        let results = Locked<[[Int]]>([])
        let failures = Locked<[String]>([])
        runOnThreads(4) { _ in
            do {
                let db = try PostgresConnection(url)
                let applied = try FarmSchema.migrate(db)
                results.withLock { $0.append(applied) }
            } catch {
                failures.withLock { $0.append(String(reflecting: error)) }
            }
        }
        #expect(failures.value == [])
        #expect(results.value.sorted { $0.count > $1.count } == [[1, 2, 3, 4, 5, 6, 7, 8, 9], [], [], []])
    }
}
