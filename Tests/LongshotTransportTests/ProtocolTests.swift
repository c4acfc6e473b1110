import Foundation
import LongshotAuth
import LongshotProtocol
import LongshotTransport
import SwiftProtobuf
import Testing

struct TensorTests {
    @Test func float32RoundTripKeepsValuesAndChecksum() throws {
        let values: [Float] = (0..<(2 * 3 * 4)).map { Float($0) * 0.5 - 3 }
        let tensor = try Longshot_V1_Tensor(float32: values, shape: [2, 3, 4])
        #expect(tensor.dtype == .f32)
        #expect(tensor.shape == [2, 3, 4])
        #expect(tensor.data.count == values.count * 4)
        #expect(tensor.checksum == FNV1a64.hash(tensor.data))
        // Through the wire format and back.
        let decoded = try Longshot_V1_Tensor(serializedBytes: try tensor.serializedBytes() as [UInt8])
        #expect(try decoded.float32Values() == values)
        // Little-endian layout: 1.0 is 00 00 80 3f.
        let one = try Longshot_V1_Tensor(float32: [1], shape: [1])
        #expect(Array(one.data) == [0x00, 0x00, 0x80, 0x3f])
    }

    @Test func fnv1aMatchesKnownVectors() {
        #expect(FNV1a64.hash([UInt8]()) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a64.hash(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a64.hash(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    @Test func corruptedDataIsDetected() throws {
        var tensor = try Longshot_V1_Tensor(float32: [1, 2, 3, 4], shape: [4])
        let original = tensor.checksum
        tensor.data[5] ^= 0x01
        let error = #expect(throws: TensorValidationError.self) { try tensor.validate() }
        guard case .checksumMismatch(let expected, let actual) = error else {
            Issue.record("expected a checksum mismatch, got \(String(describing: error))")
            return
        }
        #expect(expected == original)
        #expect(actual == FNV1a64.hash(tensor.data))
        #expect(error!.description.contains("checksum mismatch"))
        #expect(throws: TensorValidationError.self) { _ = try tensor.float32Values() }
    }

    @Test func byteCountMustMatchShape() throws {
        var tensor = try Longshot_V1_Tensor(float32: [1, 2, 3, 4], shape: [2, 2])
        tensor.data.removeLast(4)
        tensor.updateChecksum()
        let error = #expect(throws: TensorValidationError.self) { try tensor.validate() }
        #expect(error == .byteCountMismatch(shape: [2, 2], expectedBytes: 16, actualBytes: 12))
        #expect(error!.description == "tensor of shape [2, 2] needs 16 bytes but carries 12")
        #expect(throws: TensorValidationError.elementCountMismatch(shape: [3], expectedElements: 3, actualElements: 2)) {
            _ = try Longshot_V1_Tensor(float32: [1, 2], shape: [3])
        }
        tensor.shape = [-1, 4]
        #expect(throws: TensorValidationError.invalidShape([-1, 4])) { try tensor.validate() }
    }
}

struct MessageTests {
    private func sampleRequest() throws -> Longshot_V1_Request {
        var spec = Longshot_V1_JobSpec()
        spec.prompt = "a red ball bouncing on a beach"
        spec.storyboard = [
            .with { $0.startSeconds = 0; $0.endSeconds = 30; $0.prompt = "sunrise" },
            .with { $0.startSeconds = 30; $0.endSeconds = 60; $0.prompt = "sunset" },
        ]
        spec.durationSeconds = 60
        spec.fps = 24
        spec.width = 832
        spec.height = 480
        spec.seed = 0xdead_beef_cafe
        spec.steps = 30
        spec.window = 21
        spec.overlap = 4
        spec.fusion = "codenoise"
        spec.engine = "procedural"
        spec.shift = 3
        spec.quality = 18
        spec.priority = -2
        return Longshot_V1_Request(token: "0123456789abcdef0123456789abcdef", body: .submitJob(.with { $0.spec = spec }))
    }

    @Test func requestRoundTripsThroughProtobuf() throws {
        let request = try sampleRequest()
        let bytes: Data = try request.serializedData()
        let decoded = try Longshot_V1_Request(serializedBytes: bytes)
        #expect(decoded == request)
        #expect(decoded.header.protocolVersion == WireProtocol.version)
        guard case .submitJob(let submit) = decoded.body else {
            Issue.record("body is \(String(describing: decoded.body))")
            return
        }
        #expect(submit.spec.storyboard.count == 2)
        #expect(submit.spec.seed == 0xdead_beef_cafe)
        #expect(submit.spec.priority == -2)
    }

    @Test func reportResultCarriesAValidTensor() throws {
        let latents = try Longshot_V1_Tensor(float32: (0..<64).map(Float.init), shape: [1, 4, 4, 4])
        let request = Longshot_V1_Request(
            token: "t", body: .reportResult(.with { $0.leaseID = "lease-1"; $0.latents = latents; $0.digest = "abc" }))
        let decoded = try Longshot_V1_Request(serializedBytes: try request.serializedData())
        guard case .reportResult(let result) = decoded.body else {
            Issue.record("wrong body")
            return
        }
        try result.latents.validate()
        #expect(try result.latents.float32Values() == (0..<64).map(Float.init))
    }

    @Test("the header is read without decoding the body, and a body that does not parse does not stop it")
    func headerIsReadWithoutTheBody() throws {
        let latents = try Longshot_V1_Tensor(float32: (0..<(1 << 16)).map(Float.init), shape: [1 << 16])
        var request = Longshot_V1_Request(token: "0123456789abcdef0123456789abcdef", body: .reportResult(.with { $0.latents = latents }))
        request.header.session = "s1"
        var bytes = try request.serializedData()
        let header = try Longshot_V1_Header(ofRequest: bytes)
        #expect(header.token == "0123456789abcdef0123456789abcdef" && header.session == "s1" && header.protocolVersion == 1)
        // Corrupt the inside of the body (a length-delimited field the envelope skips).
        bytes[bytes.count - 10] = 0xff
        #expect(try Longshot_V1_Header(ofRequest: bytes).token == header.token)
        #expect(throws: (any Error).self) { try Longshot_V1_Header(ofRequest: Data([0xff, 0xff, 0xff])) }
    }

    @Test("credentials name each token's role; short, shared or repeated tokens and unknown sections are one line with the line number")
    func credentialsFile() throws {
        let yaml = """
            workers:
              rack-1: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            clients:
              alice: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
            admins:
              ops: cccccccccccccccccccccccccccccccc
            """
        let credentials = try Credentials(yaml: yaml, source: "creds.yaml")
        #expect(credentials.identify("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == Identity(name: "rack-1", role: .worker))
        #expect(credentials.identify("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") == Identity(name: "alice", role: .client))
        #expect(credentials.identify("cccccccccccccccccccccccccccccccc") == Identity(name: "ops", role: .admin))
        #expect(credentials.identify("cccccccccccccccccccccccccccccccc\u{0}") == nil)
        #expect(credentials.identify("") == nil)
        #expect(credentials.identify("ccccccccccccccccccccccccccccccc") == nil)
        let bad: [(String, [String])] = [
            ("workers:\n  w: short\n", ["line 2", "16-1024"]),
            ("workers:\n  w: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nclients:\n  c: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ["line 4", "same token as worker w"]),
            ("users:\n  u: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ["line 1", "unknown section 'users'"]),
            ("workers: [a, b]\n", ["must map names to tokens"]),
            ("workers:\n  w: aaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaa\n", ["printable characters without spaces"]),
            ("workers: {a: [\n", ["not YAML"]),
        ]
        for (text, words) in bad {
            do {
                _ = try Credentials(yaml: text, source: "f.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(!error.message.contains("\n"), "\(error.message)")
                for word in words { #expect(error.message.contains(word), "\(error.message) lacks \(word)") }
            }
        }
    }
}

/// The protocol over real sockets: a decoding handler like the coordinator's.
@Suite(.timeLimit(.minutes(1)))
struct ProtocolOverTransportTests {
    /// Decodes a Request, checks its header, answers Ack; answers an Error for anything else.
    static func handle(_ bytes: Data) -> Data {
        let response: Longshot_V1_Response
        do {
            let request = try Longshot_V1_Request(serializedBytes: bytes)
            if !constantTimeEqual(Array(request.header.token.utf8), Array("tok".utf8)) {
                response = .error(.unauthenticated, "unknown credential")
            } else {
                response = Longshot_V1_Response(body: .ack(.with { $0.message = "ok" }))
            }
        } catch {
            response = .error(.invalidArgument, "not a longshot.v1.Request: \(error)")
        }
        return (try? response.serializedData()) ?? Data()
    }

    @Test func garbageBytesGetAnErrorAndTheServerKeepsServing() async throws {
        let running = RunningServer(try RepServer(listen: temporaryIPCAddress(), contexts: 2) { Self.handle($0) })
        let client = try ReqSocket(dial: running.address)
        var generator = SystemRandomNumberGenerator()
        for size in [1, 7, 100, 4096] {
            // 0xff... is an invalid varint/tag: guaranteed undecodable.
            let garbage = Data([0xff, 0xff]) + Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let reply = try await withDeadline(.seconds(10)) { try await client.request(garbage, timeout: .seconds(5)) }
            let response = try Longshot_V1_Response(serializedBytes: reply)
            guard case .error(let error) = response.body else {
                Issue.record("expected an error, got \(response)")
                continue
            }
            #expect(error.code == .invalidArgument)
        }
        let valid = try Longshot_V1_Request(token: "tok", body: .getStatus(.init())).serializedData()
        let reply = try await withDeadline(.seconds(10)) { try await client.request(valid, timeout: .seconds(5)) }
        #expect(try Longshot_V1_Response(serializedBytes: reply).ack.message == "ok")
        let wrong = try Longshot_V1_Request(token: "nope", body: .getStatus(.init())).serializedData()
        let refused = try await withDeadline(.seconds(10)) { try await client.request(wrong, timeout: .seconds(5)) }
        #expect(try Longshot_V1_Response(serializedBytes: refused).error.code == .unauthenticated)
        client.close()
        try await running.stop()
    }

    @Test func oversizeReplyBecomesATooLargeError() async throws {
        let options = TransportOptions(maxMessageBytes: 1 << 20)
        let running = RunningServer(
            try RepServer(listen: ephemeralTCP, options: options, oversizeReply: Longshot_V1_Response.tooLargeReply) { _ in
                let chunk = Longshot_V1_Response(body: .videoChunk(.with { $0.data = patternBytes(3 << 20) }))
                return (try? chunk.serializedData()) ?? Data()
            })
        let client = try ReqSocket(dial: running.address, options: options)
        let request = try Longshot_V1_Request(token: "tok", body: .fetchVideo(.with { $0.jobID = "j1" })).serializedData()
        let reply = try await withDeadline(.seconds(10)) { try await client.request(request, timeout: .seconds(5)) }
        let response = try Longshot_V1_Response(serializedBytes: reply)
        #expect(response.error.code == .tooLarge)
        #expect(response.error.message.contains("1048576"))
        client.close()
        try await running.stop()
    }
}
