import Foundation
import LongshotClient
import LongshotCluster
import LongshotJob
import LongshotProtocol
import LongshotTestSupport
import LongshotTransport
import LongshotWire
import Testing

/// Sends raw bytes to the coordinator and decodes its reply.
func rawRequest(_ farm: FarmHarness, _ bytes: Data, timeout: Duration = .seconds(10)) async throws -> Longshot_V1_Response {
    let socket = try ReqSocket(
        dial: farm.address,
        options: TransportOptions(sendTimeout: timeout, receiveTimeout: timeout, resendTime: .seconds(600), tls: farm.clientTLS))
    defer { socket.close() }
    return try Longshot_V1_Response(serializedBytes: try await socket.request(bytes, timeout: timeout))
}

/// The error of a reply (fails the test when the reply is not an error).
func errorOf(_ response: Longshot_V1_Response) throws -> Longshot_V1_Error {
    guard case .error(let error) = response.body else { throw HarnessError("expected an error reply, got \(response)") }
    return error
}

/// Expects `call` to be refused with `code` and a message containing every one of `words`.
func expectRejected(
    _ code: Longshot_V1_ErrorCode, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ call: () async throws -> Void
) async {
    do {
        try await call()
        Issue.record("expected \(code) but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as FarmClientError {
        #expect(error.kind == .rejected(code), "\(error.kind): \(error.message)", sourceLocation: sourceLocation)
        for word in words {
            #expect(error.message.contains(word), "'\(error.message)' should mention '\(word)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// A valid small job on the wire.
func validSpec() -> Longshot_V1_JobSpec {
    var spec = JobSpec(prompt: farmPrompt).wire
    spec.durationSeconds = 6
    spec.fps = 12
    (spec.width, spec.height) = (160, 96)
    spec.steps = 8
    (spec.window, spec.overlap) = (8, 2)
    spec.fusion = "independent"
    spec.engine = "synthetic"
    spec.model = "0"
    return spec
}

extension FarmTests {
    @Suite("bad input")
    struct BadInput {
        @Test("garbage, oversize frames, wrong token and version, unknown ids, invalid parameters: clear errors, and the coordinator keeps serving")
        func badInputAtTheSocket() async throws {
            try await withFarm("bad-input") { farm in
                let client = try farm.client()
                _ = try await client.status()

                // Garbage bytes: not a protobuf message.
                let garbage = try errorOf(try await rawRequest(farm, Data([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13, 0x37] + (0..<200).map { _ in UInt8.random(in: 0...255) })))
                #expect(garbage.code == .invalidArgument, "\(garbage)")
                #expect(garbage.message.contains("not a Longshot request"), "\(garbage.message)")

                // A frame over the coordinator's 64 MiB receive limit: NNG drops it and the connection;
                // the sender learns within its deadline (no hang), or gets a too-large error.
                let limit = TransportOptions.defaultMaxMessageBytes
                let oversize = Data(count: limit + 1024)
                let big = try ReqSocket(
                    dial: farm.address,
                    options: TransportOptions(
                        maxMessageBytes: limit * 2, sendTimeout: .seconds(5), receiveTimeout: .seconds(5), resendTime: .seconds(600),
                        tls: farm.clientTLS))
                let started = ContinuousClock.now
                do {
                    let reply = try Longshot_V1_Response(serializedBytes: try await big.request(oversize, timeout: .seconds(5)))
                    let error = try errorOf(reply)
                    #expect(error.code == .tooLarge, "\(error)")
                } catch let error as TransportError {
                    #expect([.connectionDropped, .timedOut].contains(error.kind), "\(error)")
                    print("oversize frame: \(error)")
                }
                big.close()
                #expect(ContinuousClock.now - started < .seconds(15))
                #expect(farm.coordinator?.isRunning == true)
                _ = try await client.status()

                // A wrong token, and none.
                await expectRejected(.unauthenticated, ["unknown credential"]) { _ = try await farm.client(token: "not-the-token").status() }
                await expectRejected(.unauthenticated, ["missing credential"]) { _ = try await farm.client(token: "").status() }

                // A protocol version this coordinator does not speak.
                var request = Longshot_V1_Request(token: farm.token, body: .getStatus(Longshot_V1_GetStatus()))
                request.header.protocolVersion = 99
                let version = try errorOf(try await rawRequest(farm, try request.serializedData()))
                #expect(version.code == .unsupportedVersion, "\(version)")
                #expect(version.message.contains("99") && version.message.contains("speaks 1"), "\(version.message)")

                // Unknown job ids.
                let unknown = "job-does-not-exist"
                await expectRejected(.notFound, [unknown]) { _ = try await client.job(unknown) }
                await expectRejected(.notFound, [unknown]) { _ = try await client.cancel(unknown) }
                await expectRejected(.notFound, [unknown]) { _ = try await client.rerun(unknown, failedOnly: false, windows: [1]) }
                await expectRejected(.notFound, [unknown]) { _ = try await client.logs(unknown, window: nil, tail: 0) }
                await expectRejected(.notFound, [unknown]) {
                    _ = try await client.call(.fetchVideo(.with { $0.jobID = unknown }))
                }

                // Invalid parameters.
                // (On the wire a zero duration is proto3's "unset" and takes the default; a negative one is refused.)
                var negative = validSpec()
                negative.durationSeconds = -1
                await expectRejected(.invalidArgument, ["duration", "greater than 0"]) { _ = try await client.submit(negative) }
                let zero = try farm.cli(["submit", farmPrompt, "--duration", "0"])
                #expect(zero.status != 0 && zero.stderrLines.count == 1, "\(zero.stderr)")
                #expect(zero.stderr.contains("duration") && zero.stderr.contains("greater than 0"), "\(zero.stderr)")
                let cliOdd = try farm.cli(["submit", farmPrompt, "--duration", "6", "--size", "161x96"])
                #expect(cliOdd.status != 0 && cliOdd.stderr.contains("even"), "\(cliOdd.stderr)")
                var odd = validSpec()
                odd.width = 161
                await expectRejected(.invalidArgument, ["161x96", "even"]) { _ = try await client.submit(odd) }
                var engine = validSpec()
                engine.engine = "warp-drive"
                await expectRejected(.invalidArgument, ["engine", "warp-drive"]) { _ = try await client.submit(engine) }
                // Jobs name engines; no worker offers one called "external", and a command is never run.
                var external = validSpec()
                external.engine = "external"
                external.model = "touch /tmp/longshot-should-not-exist"
                await expectRejected(.invalidArgument, ["engine: no live worker offers engine 'external'", "no worker is connected"]) {
                    _ = try await client.submit(external)
                }
                #expect(!FileManager.default.fileExists(atPath: "/tmp/longshot-should-not-exist"))
                // A request with no body.
                var empty = Longshot_V1_Request()
                empty.header = Longshot_V1_Header(token: farm.token)
                let noBody = try errorOf(try await rawRequest(farm, try empty.serializedData()))
                #expect(noBody.code == .invalidArgument, "\(noBody)")

                // Still serving: status, and a real job (a slow synthetic worker: it stays unfinished), then a
                // rerun of a window it does not have.
                let status = try await client.status()
                #expect(status.coordinator.pid == UInt32(farm.coordinator?.pid ?? 0))
                try farm.startWorker("w1", engine: "synthetic")
                var slow = validSpec()
                slow.model = "60000"
                let id = try await client.submit(slow)
                let detail = try await client.job(id)
                #expect([.queued, .running].contains(detail.state) && detail.windows.count >= 4, "\(detail.text())")
                await expectRejected(.invalidArgument, ["no window 99"]) { _ = try await client.rerun(id, failedOnly: false, windows: [99]) }
                await expectRejected(.conflict, [id]) { _ = try await client.call(.fetchVideo(.with { $0.jobID = id })) }
                #expect(farm.coordinator?.isRunning == true)
            }
        }

        @Test("CLI: an unreachable coordinator gives one line naming the address")
        func unreachableCoordinator() throws {
            let scratch = try ScratchDirectory("longshot-farm-unreachable")
            defer { scratch.remove() }
            let port = try FarmHarness.freePorts(1)[0]
            let address = "tcp://127.0.0.1:\(port)"
            let result = try LongshotProcess.run(["status", "--coordinator", address, "--token", "t"], in: scratch.url)
            #expect(result.status != 0)
            #expect(result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(address), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(result.stdout)")
        }
    }
}
