import ArgumentParser
import Foundation
import LongshotStore

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the database migrations the coordinator needs (it also does this at start).")

    @Option(help: ArgumentHelp("The PostgreSQL URL (default: $LONGSHOT_DATABASE_URL).", valueName: "url"))
    var database: String?

    func run() throws {
        guard let url = database ?? ProcessInfo.processInfo.environment["LONGSHOT_DATABASE_URL"], !url.isEmpty else {
            throw fail("no database: pass --database postgresql://... or set LONGSHOT_DATABASE_URL")
        }
        do {
            let store = try FarmStore(url: url, retryFor: .seconds(10))
            let applied = try store.migrate()
            print(applied.isEmpty ? "database is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            throw fail("migrate: \(error)")
        }
    }
}
