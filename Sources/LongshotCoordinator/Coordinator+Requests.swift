import Foundation
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Answers one request. Never throws: garbage, a wrong token or version, or a failing handler all
    /// become an error reply, and the coordinator keeps serving.
    func handle(_ bytes: Data) async -> Data {
        let response: Longshot_V1_Response
        do {
            let header: Longshot_V1_Header
            do {
                header = try Longshot_V1_Header(ofRequest: bytes)
            } catch {
                throw RequestError(.invalidArgument, "not a Longshot request (\(bytes.count) bytes): \(error)")
            }
            guard header.protocolVersion == WireProtocol.version else {
                throw RequestError(
                    .unsupportedVersion,
                    "protocol version \(header.protocolVersion) is not supported; this coordinator speaks \(WireProtocol.version)")
            }
            let identity = try authenticate(header)
            let request: Longshot_V1_Request
            do {
                request = try Longshot_V1_Request(serializedBytes: bytes)
            } catch {
                throw RequestError(.invalidArgument, "not a Longshot request (\(bytes.count) bytes): \(error)")
            }
            guard let body = request.body else { throw RequestError(.invalidArgument, "the request has no body") }
            let caller = try await authorize(body, header: header, identity: identity)
            response = Longshot_V1_Response(body: try await route(body, caller))
        } catch let error as RequestError {
            response = .error(error.code, error.message.oneLine)
        } catch let error as PostgresError where error.isConnectionFailure {
            response = .error(.unavailable, "the coordinator's database is unavailable; retry shortly")
        } catch let error as FarmStoreError {
            switch error {
            case .unknownJob: response = .error(.notFound, error.description)
            case .unknownWorker: response = .error(.notFound, error.description)
            }
        } catch {
            log.error("request failed: \(String(reflecting: error))")
            response = .error(.internal, "\(error)")
        }
        return (try? response.serializedData()) ?? Data()
    }

    private func route(_ body: Longshot_V1_Request.OneOf_Body, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        switch body {
        case .registerWorker(let r): return try await registerWorker(r, caller)
        case .heartbeat(let r): return try await heartbeat(r)
        case .acquireLease(let r): return try await acquireLease(r)
        case .renewLease(let r): return try await renewLease(r)
        case .reportProgress(let r): return try await reportProgress(r)
        case .reportResult(let r): return try await reportResult(r)
        case .reportFailure(let r): return try await reportFailure(r)
        case .stepExchange(let r): return try await stepExchange(r)
        case .saveCheckpoint(let r): return try await saveCheckpoint(r)
        case .submitJob(let r): return try await submit(r, caller)
        case .getStatus: return try await status()
        case .listJobs(let r): return try await listJobs(r)
        case .showJob(let r): return try await showJob(r)
        case .rerun(let r): return try await rerun(r, caller)
        case .cancel(let r): return try await cancel(r, caller)
        case .deleteJob(let r): return try await deleteJob(r, caller)
        case .fetchVideo(let r): return try await fetchVideo(r)
        case .getLogs(let r): return try await logs(r)
        case .workerAdmin(let r): return try await workerAdmin(r)
        case .watchEvents(let r): return try await watchEvents(r)
        }
    }
}

/// A request the coordinator refuses, with the code and message the client sees.
struct RequestError: Error {
    var code: Longshot_V1_ErrorCode
    var message: String

    init(_ code: Longshot_V1_ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension String {
    /// The text on one line: control characters (a newline in a lease id or a worker's name, say) escaped,
    /// so a request cannot make a reply or a log line say more than one thing.
    var oneLine: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            if scalar.properties.generalCategory == .control {
                out += scalar == "\n" ? "\\n" : scalar == "\t" ? "\\t" : "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
