import Foundation
import LongshotClient
import LongshotJob
import LongshotProtocol
import LongshotTestSupport
import LongshotTransport
import Testing

extension FarmTests {
    /// Bounded fuzzing of the coordinator's request decoding and handling over its real socket (issue 10):
    /// valid requests of every kind, with the right credentials and a worker session so they reach the
    /// handlers, mutated byte by byte. Every one must get a readable reply, and the coordinator must live.
    /// `LONGSHOT_FUZZ_ITERATIONS` sets the count (default 1500).
    @Suite("fuzzing the wire")
    struct WireFuzz {
        static let iterations = ProcessInfo.processInfo.environment["LONGSHOT_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500

        @Test("mutated requests of every kind get an answer, and the coordinator keeps serving")
        func mutatedRequests() async throws {
            try await withFarm("wire-fuzz", workers: 1) { farm in
                let worker = try farm.client(token: farm.workerToken)
                guard case .workerRegistered(let registered) = try await worker.call(.registerWorker(.with {
                    $0.name = "fuzz"
                    $0.slots = 1
                    $0.offers = [.with { $0.name = "fuzz-engine" }]
                })) else { throw HarnessError("no registration") }
                let job = try farm.submit(farmPrompt, FarmHarness.smallJob)
                let tensor = try Longshot_V1_Tensor(float32: (0..<64).map(Float.init), shape: [4, 16])
                let clientBodies: [Longshot_V1_Request.OneOf_Body] = [
                    .submitJob(.with { $0.spec = validSpec() }), .getStatus(.init()), .listJobs(.with { $0.limit = 5 }),
                    .showJob(.with { $0.jobID = job }), .rerun(.with { $0.jobID = job; $0.windows = [1] }),
                    .cancel(.with { $0.jobID = "j-none" }), .fetchVideo(.with { $0.jobID = job; $0.maxBytes = 1024 }),
                    .getLogs(.with { $0.jobID = job; $0.tail = 5 }), .workerAdmin(.with { $0.name = "nobody"; $0.action = .drain }),
                ]
                let workerBodies: [Longshot_V1_Request.OneOf_Body] = [
                    .heartbeat(.with { $0.workerID = registered.workerID }),
                    .acquireLease(.with { $0.workerID = registered.workerID }),
                    .pullWork(.with {
                        $0.workerID = registered.workerID
                        $0.want = 2
                        $0.results = [.with { $0.leaseID = "l-aaaaaaaaaaaa"; $0.latents = tensor }]
                        $0.releasedLeaseIds = ["l-bbbbbbbbbbbb"]
                    }),
                    .renewLease(.with { $0.leaseID = "l-aaaaaaaaaaaa" }),
                    .reportProgress(.with { $0.leaseID = "l-aaaaaaaaaaaa"; $0.step = 1; $0.steps = 8 }),
                    .reportResult(.with { $0.leaseID = "l-aaaaaaaaaaaa"; $0.latents = tensor; $0.digest = "x" }),
                    .reportFailure(.with { $0.leaseID = "g-aaaaaaaaaaaa"; $0.error = "e" }),
                    .stepExchange(.with { $0.leaseID = "g-aaaaaaaaaaaa"; $0.step = 2; $0.waitMs = 10 }),
                    .saveCheckpoint(.with { $0.leaseID = "g-aaaaaaaaaaaa"; $0.step = 4; $0.latents = tensor }),
                    .registerWorker(.with { $0.name = "fuzz-2"; $0.offers = [.with { $0.name = "fuzz-engine" }] }),
                ]
                var corpus: [(bytes: Data, headerBytes: Int)] = []
                for (bodies, token) in [(clientBodies, farm.token), (workerBodies, farm.workerToken)] {
                    for body in bodies {
                        var request = Longshot_V1_Request(token: token, body: body)
                        request.header.session = registered.session
                        let header = try Longshot_V1_Request.with { $0.header = request.header }.serializedData().count
                        corpus.append((try request.serializedData(), header))
                    }
                }
                let socket = try ReqSocket(
                    dial: farm.address,
                    options: TransportOptions(sendTimeout: .seconds(10), receiveTimeout: .seconds(10), resendTime: .seconds(600), tls: farm.clientTLS))
                defer { socket.close() }
                let seed = UInt64(Date().timeIntervalSince1970)
                var generator = SplitMix(state: seed)
                var codes: [String: Int] = [:]
                for i in 0..<Self.iterations {
                    let (original, header) = corpus.randomElement(using: &generator)!
                    var bytes = [UInt8](original)
                    // Mostly inside the body, so the credential holds and the body's decoding and handling run.
                    let from = Int.random(in: 0..<4, using: &generator) == 0 ? 0 : min(header, bytes.count - 1)
                    for _ in 0..<Int.random(in: 1...4, using: &generator) where bytes.count > from {
                        let at = Int.random(in: from..<bytes.count, using: &generator)
                        switch Int.random(in: 0..<10, using: &generator) {
                        case 0...3: bytes[at] = UInt8.random(in: 0...255, using: &generator)
                        case 4...6: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                        case 7: bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: at)
                        case 8: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &generator)))
                        default: bytes = Array(bytes[..<at])
                        }
                    }
                    let reply = try await socket.request(Data(bytes), timeout: .seconds(10))
                    let response = try Longshot_V1_Response(serializedBytes: reply)
                    let key: String
                    if case .error(let e) = response.body {
                        key = "\(e.code)"
                        #expect(e.code != .internal, "seed \(seed) case \(i): INTERNAL \(e.message)")
                        #expect(!e.message.contains("\n"), "seed \(seed) case \(i): \(e.message)")
                    } else {
                        key = "ok"
                    }
                    codes[key, default: 0] += 1
                }
                print("wire fuzz (seed \(seed)): \(Self.iterations) mutated requests: " + codes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                #expect(farm.coordinator?.isRunning == true)
                _ = try await farm.client().status()
                #expect((codes["ok"] ?? 0) > 0)
            }
        }
    }
}
