import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import Testing

extension FarmTests {
    /// What the farm keeps of a finished job, and how it goes: `longshot delete` and `--job-retention`.
    @Suite("job retention")
    struct Retention {
        /// Rows left of a job, by table, in every table that holds job rows (empty: none left).
        static func rows(of id: String, in url: String) throws -> [String: Int] {
            let connection = try PostgresConnection(url)
            let tables = ["jobs": "id", "windows": "job_id", "attempts": "job_id", "events": "job_id", "job_videos": "job_id", "segments": "job_id"]
            return try tables.reduce(into: [:]) { left, table in
                let count = try connection.query("SELECT count(*) FROM \(table.key) WHERE \(table.value) = $1", [.text(id)]).first?.int(0) ?? 0
                if count > 0 { left[table.key] = count }
            }
        }

        @Test("delete: refused while a job runs and for another client's job; an ended job goes with its rows, logs and video file")
        func deleteEndedJob() async throws {
            try await withFarm("delete", workers: 1) { farm in
                let guest = try farm.client(token: farm.clientToken)
                try farm.startWorker("slow", engine: "synthetic")
                var slow = validSpec()
                slow.engine = "synthetic"
                slow.model = "60000"  // the synthetic engine: a minute per step, so the job stays running
                let running = try await farm.client().submit(slow)
                await expectRejected(.conflict, ["job \(running) is", "cancel it before deleting it"]) {
                    _ = try await farm.client().delete(running)
                }
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(id)
                let file = farm.dataDirectory.appendingPathComponent("jobs/\(id).mp4")
                #expect(FileManager.default.fileExists(atPath: file.path))
                #expect(try Self.rows(of: id, in: farm.databaseURL).count >= 4)
                await expectRejected(.permissionDenied, ["delete", id, "submitted by admin"]) { _ = try await guest.delete(id) }

                let deleted = try farm.cli(["delete", id, "no-such-job"])
                #expect(deleted.status != 0, "a missing job makes the command fail")
                #expect(deleted.stdout.contains("deleted \(id) (succeeded)"), "\(deleted.stdout)")
                #expect(deleted.stderr.contains("no job with id no-such-job") && deleted.stderrLines.count == 1, "\(deleted.stderr)")
                let left = try Self.rows(of: id, in: farm.databaseURL)
                #expect(left.isEmpty, "rows left: \(left)")
                #expect(!FileManager.default.fileExists(atPath: file.path))
                let show = try farm.cli(["show", id])
                #expect(show.status != 0 && show.stderr.contains("no job with id \(id)"), "\(show.stderr)")
                let fetch = try farm.cli(["fetch", id, "-o", farm.scratch.file("gone.mp4").path])
                #expect(fetch.status != 0 && fetch.stderr.contains("no job with id \(id)"), "\(fetch.stderr)")

                _ = try await farm.client().cancel(running)
                #expect(try await farm.client().delete(running).contains("deleted \(running) (cancelled)"))
                #expect(try await farm.client().status().workers.count == 2, "the coordinator serves on")
            }
        }

        @Test("--job-retention 2s deletes ended jobs two seconds after they end; running jobs stay")
        func retentionDeletesEndedJobs() async throws {
            try await withFarm("retention", workers: 1, coordinatorArguments: ["--job-retention", "2s"]) { farm in
                try farm.startWorker("slow", engine: "synthetic")
                var slow = validSpec()
                slow.engine = "synthetic"
                slow.model = "60000"
                let running = try await farm.client().submit(slow)
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                try await farm.waitForJob(id)
                try await farm.waitUntil("the retention to delete \(id)", timeout: .seconds(20), poll: .milliseconds(250)) {
                    try Self.rows(of: id, in: farm.databaseURL).isEmpty
                }
                #expect(farm.log("coordinator.1.log").contains("job \(id) deleted: it ended more than 2.0 seconds ago (--job-retention)"))
                #expect(try await farm.client().job(running).state == .running)
            }
            let bad = try LongshotProcess.run(
                [
                    "coordinator", "--database", "postgresql:///x?host=/nonexistent", "--job-retention", "forever",
                    "--worker-token", FarmHarness.randomToken(), "--client-token", FarmHarness.randomToken(),
                ],
                in: URL(fileURLWithPath: NSTemporaryDirectory()), timeout: .seconds(30))
            #expect(bad.status != 0 && bad.stderrLines.count == 1 && bad.stderr.contains("job-retention: 'forever' is not a period"), "\(bad.stderr)")
        }
    }
}
