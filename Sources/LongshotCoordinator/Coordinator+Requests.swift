import Foundation
import LongshotLogging
import LongshotMetrics
import LongshotProtocol
import LongshotStore

extension Coordinator {
    /// Answers one request. Never throws: garbage, a wrong token or version, or a failing handler all
    /// become an error reply, and the coordinator keeps serving.
    func handle(_ bytes: Data) async -> Data {
        let response: Longshot_V1_Response
        var kind = "unparsed"
        defer {
            if case .error(let e)? = response.body { FarmMetrics.request(kind, outcome: e.code.metricName) } else { FarmMetrics.request(kind, outcome: "ok") }
        }
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
            kind = body.metricName
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
        case .reportResult(let r): return try await reportResult(r, caller)
        case .reportFailure(let r): return try await reportFailure(r)
        case .stepExchange(let r): return try await stepExchange(r)
        case .saveCheckpoint(let r): return try await saveCheckpoint(r)
        case .reportPreview(let r): return try await reportPreview(r)
        case .pullWork(let r): return try await pullWork(r)
        case .submitJob(let r): return try await submit(r, caller)
        case .getStatus: return try await status()
        case .listJobs(let r): return try await listJobs(r)
        case .showJob(let r): return try await showJob(r)
        case .rerun(let r): return try await rerun(r, caller)
        case .cancel(let r): return try await cancel(r, caller)
        case .deleteJob(let r): return try await deleteJob(r, caller)
        case .getPreview(let r): return try await getPreview(r)
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

extension Longshot_V1_Request.OneOf_Body {
    /// The request's name in metrics: the body's case (`acquireLease`, `submitJob`, ...).
    var metricName: String { String(String(describing: self).prefix { $0 != "(" }) }
}

extension Longshot_V1_ErrorCode {
    /// The code's name in metrics (`unauthenticated`, `leaseLost`, ...).
    var metricName: String { String(describing: self) }
}

extension Coordinator {
    /// Answers a request made in this process (the dashboard's), exactly as one from the control socket:
    /// the same credential checks, limits and errors.
    public func answer(_ body: Longshot_V1_Request.OneOf_Body, token: String) async -> Longshot_V1_Response {
        let request = Longshot_V1_Request(token: token, body: body)
        guard let bytes = try? request.serializedData() else { return .error(.internal, "cannot encode the request") }
        return (try? Longshot_V1_Response(serializedBytes: await handle(bytes))) ?? .error(.internal, "unreadable reply")
    }
}
