import LongshotStore
import LongshotTestSupport
import Testing

@Suite struct FarmDatabaseTests {
    @Test func concurrentTasksShareOneConfinedConnection() async throws {
        let database = try FarmDatabase(url: try TestPostgres.freshDatabase())
        let job = try await database.run { try submit($0, windows: 20) }
        let worker = try await database.run { try register($0, "w") }
        let granted = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<20 {
                group.addTask { try await database.run { try $0.acquireLease(workerID: worker, ttl: .seconds(30))?.windowIndex } }
            }
            var indices: [Int] = []
            for try await index in group { if let index { indices.append(index) } }
            return indices
        }
        #expect(granted.sorted() == Array(0..<20))
        #expect(try await database.run { try $0.windowCounts(jobID: job) } == [.leased: 20])
    }
}
