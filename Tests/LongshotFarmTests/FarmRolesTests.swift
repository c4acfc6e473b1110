import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol
import LongshotStore
import LongshotTestSupport
import LongshotTransport
import Testing

extension FarmTests {
    /// Workers, clients and admins have their own credentials (issue 10): each may do only its role's
    /// requests, a worker's results are bound to its session and its leases, and the events socket says
    /// nothing a stranger should read.
    @Suite("roles and sessions")
    struct Roles {
        @Test("clients own their jobs, admins administer, workers only work; a forged upload for another worker's lease is refused")
        func rolesAndLeaseBinding() async throws {
            try await withFarm("roles", workers: 1, engine: "synthetic") { farm in
                let client = try farm.client(token: farm.clientToken)
                let admin = try farm.client()
                var slow = validSpec()
                slow.model = "60000"  // a minute per step: the window stays leased
                let mine = try await client.submit(slow)
                let theirs = try farm.submit(farmPrompt, FarmHarness.smallJob + ["--engine", "synthetic", "--model", "60000"])
                #expect(try await client.job(mine).owner == "client")
                #expect(try await client.job(theirs).owner == "admin")
                #expect(try await client.jobs().jobs.count == 2, "clients read the whole farm")

                await expectRejected(.permissionDenied, ["cancel", theirs, "submitted by admin", "only its submitter or an admin"]) {
                    _ = try await client.cancel(theirs)
                }
                await expectRejected(.permissionDenied, ["rerun", theirs]) {
                    _ = try await client.rerun(theirs, failedOnly: false, windows: [])
                }
                await expectRejected(.permissionDenied, ["client client may not drain, block or unblock workers"]) {
                    _ = try await client.call(.workerAdmin(.with { $0.name = "w1"; $0.action = .drain }))
                }
                await expectRejected(.permissionDenied, ["client client may not register a worker"]) {
                    _ = try await client.call(.registerWorker(.with { $0.name = "fake"; $0.offers = [.with { $0.name = "x" }] }))
                }

                // The workers' credential cannot act as a client; with the CLI that is one line.
                let workerCLI = try LongshotProcess.run(
                    ["submit", farmPrompt, "--duration", "6", "--engine", "synthetic"], in: farm.scratch.url,
                    fullEnvironment: farm.environment.merging(["LONGSHOT_TOKEN": farm.workerToken]) { $1 }, timeout: .seconds(30))
                #expect(workerCLI.status != 0 && workerCLI.stderrLines.count == 1, "\(workerCLI.stderr)")
                #expect(workerCLI.stderr.contains("worker worker may not submit jobs"), "\(workerCLI.stderr)")

                // A worker started with a client credential stops at once with one line.
                let wrong = try farm.startWorker(
                    "impostor", engine: "synthetic", environment: ["LONGSHOT_WORKER_TOKEN": farm.clientToken], waitForRegistration: false)
                try await farm.waitUntil("the impostor to exit", timeout: .seconds(30)) { !wrong.isRunning }
                #expect(wrong.exitStatus != 0)
                #expect(farm.log("worker-impostor.log").contains("client client may not register a worker"), "\(farm.log("worker-impostor.log"))")

                // A second worker process with the workers' credential registers, but cannot touch w1's lease.
                let rogue = try farm.client(token: farm.workerToken)
                guard case .workerRegistered(let registered) = try await rogue.call(.registerWorker(.with {
                    $0.name = "rogue"
                    $0.slots = 1
                    $0.offers = [.with { $0.name = "nothing-routes-here" }]
                })) else { throw HarnessError("no registration") }
                #expect(registered.session.count == 64)
                let db = try PostgresConnection(farm.databaseURL)
                var leased: (lease: String, owner: String)?
                try await farm.waitUntil("a leased window of \(mine)", timeout: .seconds(30)) {
                    let row = try db.query(
                        "SELECT lease_id, lease_owner FROM windows WHERE job_id = $1 AND state = 'leased' LIMIT 1", [.text(mine)]).first
                    if let row { leased = (try row.string("lease_id"), try row.string("lease_owner")) }
                    return leased != nil
                }
                let (lease, owner) = leased!
                let forged = try Longshot_V1_Tensor(float32: [Float](repeating: 1, count: 16), shape: [16])
                await expectRejected(.notFound, ["unknown worker session", "register again"]) {
                    _ = try await rogue.call(.reportResult(.with { $0.leaseID = lease; $0.latents = forged }))
                }
                rogue.setSession(registered.session)
                await expectRejected(.permissionDenied, ["lease \(lease) was granted to another worker"]) {
                    _ = try await rogue.call(.reportResult(.with { $0.leaseID = lease; $0.latents = forged }))
                }
                await expectRejected(.permissionDenied, ["lease \(lease)"]) {
                    _ = try await rogue.call(.reportFailure(.with { $0.leaseID = lease; $0.error = "forged" }))
                }
                await expectRejected(.permissionDenied, ["this session belongs to worker \(registered.workerID), not \(owner)"]) {
                    _ = try await rogue.call(.heartbeat(.with { $0.workerID = owner }))
                }
                _ = try await rogue.call(.heartbeat(.with { $0.workerID = registered.workerID }))
                let after = try db.query("SELECT state, lease_id, attempts FROM windows WHERE job_id = $1 AND lease_id = $2", [.text(mine), .text(lease)])
                #expect(after.rows.count == 1, "the window is still w1's lease")
                #expect(farm.log("coordinator.1.log").contains("for lease \(lease) of worker \(owner): refused"))

                _ = try await client.cancel(mine)
                _ = try await admin.cancel(theirs)
                #expect(try await admin.job(theirs).state == .cancelled)
            }
        }

        @Test("the events socket carries only content-free wake-ups; watch reads events over the authenticated socket")
        func eventsSayNothing() async throws {
            try await withFarm("quiet-events", workers: 1) { farm in
                let subscriber = try SubSocket(dial: farm.eventsAddress, options: TransportOptions(receiveTimeout: .seconds(1), tls: farm.clientTLS))
                defer { subscriber.close() }
                try subscriber.subscribeAll()
                try await Task.sleep(for: .milliseconds(300))  // let the subscription reach the publisher
                let watch = try FarmProcess.launch(
                    name: "watch", log: farm.scratch.file("watch.log"), arguments: ["watch", "--json"], environment: farm.environment)
                defer { watch.kill9() }
                try await Task.sleep(for: .seconds(1))
                let id = try farm.submit(farmPrompt, FarmHarness.smallJob)
                var heard = 0
                let until = ContinuousClock.now + .seconds(3)
                while ContinuousClock.now < until {
                    guard let message = try? await subscriber.receive(timeout: .milliseconds(500)) else { continue }
                    heard += 1
                    #expect(message.topic == "work", "topic \(message.topic)")
                    let event = try Longshot_V1_Event(serializedBytes: message.payload)
                    #expect(event.jobID.isEmpty && event.message == "work available" && event.kind == .unspecified, "\(event)")
                    #expect(!String(decoding: message.payload, as: UTF8.self).contains(id))
                }
                #expect(heard >= 1, "the submit woke idle workers")
                try await farm.waitUntil("watch to print the submission", timeout: .seconds(20)) {
                    farm.log("watch.log").contains(id) && farm.log("watch.log").contains("\"kind\"")
                }
                // Without a credential, watch gets nothing.
                let stranger = try LongshotProcess.run(
                    ["watch", id], in: farm.scratch.url,
                    fullEnvironment: farm.environment.merging(["LONGSHOT_TOKEN": "0123456789abcdef0123456789abcdef"]) { $1 },
                    timeout: .seconds(30))
                #expect(stranger.status != 0 && stranger.stderr.contains("unknown credential"), "\(stranger.stderr)")
            }
        }

        @Test("connections over --max-connections are closed on arrival; one frees a place for the next")
        func connectionCap() async throws {
            try await withFarm("connection-cap", coordinatorArguments: ["--max-connections", "3"]) { farm in
                // Three `watch` processes hold a connection each (long polls); kill -9 of one frees its place.
                // (Processes, not in-process sockets: in a test process whose earlier sockets hit NNG 1.5.2's close
                // bugs, NNG's reconnect timers can stall.)
                var watchers: [FarmProcess] = []
                defer { for watcher in watchers { watcher.kill9() } }
                for i in 1...3 {
                    watchers.append(try FarmProcess.launch(
                        name: "watch-\(i)", log: farm.scratch.file("watch-\(i).log"), arguments: ["watch", "--json"],
                        environment: farm.environment))
                }
                try await Task.sleep(for: .seconds(2))
                // A fourth client (a process too) gets no answer; once a watcher is gone, the next one does.
                let refused = try farm.cli(["status"], timeout: .seconds(60))
                #expect(refused.status != 0 && refused.stderr.contains("no answer"), "\(refused.stdout) \(refused.stderr)")
                watchers.removeLast().kill9()
                try await farm.waitUntil("a fourth connection to be served", timeout: .seconds(30)) {
                    try farm.cli(["status"], timeout: .seconds(60)).status == 0
                }
                #expect(watchers.allSatisfy { $0.isRunning })
            }
        }
    }
}
