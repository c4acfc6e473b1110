import Foundation
import HTTPTypes
import Hummingbird
import LongshotProtocol
import SwiftProtobuf

/// Answers a request as the coordinator's control socket would, with the given credential.
public typealias DashboardBackend = @Sendable (_ body: Longshot_V1_Request.OneOf_Body, _ token: String) async -> Longshot_V1_Response

/// The web dashboard: plain HTML, CSS and JS (embedded in the binary, no build step) over a JSON API that
/// is the control protocol's requests made with the signed-in credential, so the page can do exactly
/// what that credential may do with the CLI, and no more.
///
/// Signing in checks a client or admin token and sets an HttpOnly, SameSite=Strict session cookie; every
/// POST also needs the `X-Longshot: 1` header (a cross-site form cannot send one). Live updates are
/// Server-Sent Events (`/api/events`) fed by the same long poll as `longshot watch`.
public struct Dashboard: Sendable {
    let backend: DashboardBackend
    let sessions = DashboardSessions()
    static let cookie = "longshot_session"

    public init(backend: @escaping DashboardBackend) {
        self.backend = backend
    }

    /// Adds the pages and the API to `router`.
    public func register(on router: Router<BasicRequestContext>) {
        for path in ["/", "/jobs/:id"] {
            router.get(RouterPath(path)) { _, _ in Self.asset(PackageResources.index_html, "text/html; charset=utf-8") }
        }
        router.get("/assets/app.js") { _, _ in Self.asset(PackageResources.app_js, "text/javascript; charset=utf-8") }
        router.get("/assets/app.css") { _, _ in Self.asset(PackageResources.app_css, "text/css; charset=utf-8") }
        router.post("/api/login") { request, _ in try await login(request) }
        router.post("/api/logout") { request, _ in
            if let id = request.cookies[Self.cookie]?.value { sessions.close(id) }
            var response = Self.json(#"{"ok":true}"#)
            response.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("/api/status") { request, _ in await call(request, .getStatus(.init())) }
        router.get("/api/jobs") { request, _ in
            let states = (request.uri.queryParameters.get("state") ?? "").split(separator: ",").compactMap { JobStateName.parse(String($0)) }
            let limit = request.uri.queryParameters.get("limit").flatMap { UInt32($0) } ?? 200
            return await call(request, .listJobs(.with { $0.states = states; $0.limit = limit }))
        }
        router.get("/api/jobs/:id") { request, context in
            await call(request, .showJob(.with { $0.jobID = context.parameters.get("id") ?? "" }))
        }
        router.get("/api/jobs/:id/logs") { request, context in
            let window = request.uri.queryParameters.get("window").flatMap { UInt32($0) }
            let tail = request.uri.queryParameters.get("tail").flatMap { UInt32($0) } ?? 500
            return await call(request, .getLogs(.with {
                $0.jobID = context.parameters.get("id") ?? ""
                if let window { $0.window = window }
                $0.tail = tail
            }))
        }
        router.get("/api/jobs/:id/previews/:kind/:index") { request, context in
            await preview(request, job: context.parameters.get("id") ?? "", kind: context.parameters.get("kind") ?? "",
                          index: context.parameters.get("index") ?? "")
        }
        router.get("/api/jobs/:id/video") { request, context in await video(request, job: context.parameters.get("id") ?? "") }
        router.get("/api/events") { request, _ in events(request) }
        router.post("/api/jobs/:id/cancel") { request, context in
            await act(request, .cancel(.with { $0.jobID = context.parameters.get("id") ?? "" }))
        }
        router.post("/api/jobs/:id/rerun") { request, context in
            let failed = request.uri.queryParameters.get("failed") == "1"
            return await act(request, .rerun(.with {
                $0.jobID = context.parameters.get("id") ?? ""
                $0.failedOnly = failed
            }))
        }
        router.post("/api/workers/:name/:action") { request, context in
            let action: Longshot_V1_WorkerAdminAction? =
                switch context.parameters.get("action") {
                case "drain": .drain
                case "block": .block
                case "unblock": .unblock
                default: nil
                }
            guard let action else { return Self.failure(.notFound, "no such worker action (drain, block or unblock)") }
            return await act(request, .workerAdmin(.with {
                $0.name = context.parameters.get("name") ?? ""
                $0.action = action
            }))
        }
    }

    // MARK: Signing in

    private func login(_ request: Request) async throws -> Response {
        guard request.headers[Self.actionHeader] == "1" else { return Self.failure(.forbidden, "missing the X-Longshot header") }
        let body = try await request.body.collect(upTo: 4096)
        let token = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["token"] as? String ?? ""
        guard !token.isEmpty else { return Self.failure(.badRequest, "token: give the client or admin token to sign in") }
        // A worker's credential may read the status but not the jobs: only clients and admins get in.
        let reply = await backend(.listJobs(.with { $0.limit = 1 }), token)
        if case .error(let e)? = reply.body { return Self.failure(e.code.httpStatus, e.message) }
        var response = Self.json(#"{"ok":true}"#)
        response.setCookie(Cookie(name: Self.cookie, value: sessions.open(token: token), path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    static let actionHeader = HTTPField.Name("X-Longshot")!

    func token(_ request: Request) -> String? {
        request.cookies[Self.cookie].flatMap { sessions.token($0.value) }
    }

    // MARK: API

    /// Makes `body`'s request with the session's credential and answers its reply as JSON.
    private func call(_ request: Request, _ body: Longshot_V1_Request.OneOf_Body) async -> Response {
        guard let token = token(request) else { return Self.failure(.unauthorized, "sign in with a client or admin token") }
        return Self.reply(await backend(body, token))
    }

    /// A POST that changes something: needs the action header as well as the session.
    private func act(_ request: Request, _ body: Longshot_V1_Request.OneOf_Body) async -> Response {
        guard request.headers[Self.actionHeader] == "1" else { return Self.failure(.forbidden, "missing the X-Longshot header") }
        return await call(request, body)
    }

    private func preview(_ request: Request, job: String, kind: String, index: String) async -> Response {
        guard let token = token(request) else { return Self.failure(.unauthorized, "sign in with a client or admin token") }
        guard ["window", "group"].contains(kind), let number = UInt32(index) else {
            return Self.failure(.notFound, "previews are /api/jobs/ID/previews/window/N or .../group/N")
        }
        let reply = await backend(.getPreview(.with { $0.jobID = job; $0.index = number; $0.group = kind == "group" }), token)
        guard case .preview(let p)? = reply.body else { return Self.reply(reply) }
        return Response(
            status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: p.png)))
    }

    private static func asset(_ bytes: [UInt8], _ type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func reply(_ response: Longshot_V1_Response) -> Response {
        let message: (any SwiftProtobuf.Message)?
        switch response.body {
        case .error(let e)?: return failure(e.code.httpStatus, e.message)
        case .ack(let m)?: message = m
        case .clusterStatus(let m)?: message = m
        case .jobList(let m)?: message = m
        case .jobDetail(let m)?: message = m
        case .logs(let m)?: message = m
        default: message = nil
        }
        guard let message else { return failure(.badGateway, "unexpected reply from the coordinator") }
        return json((try? message.jsonString(options: jsonOptions)) ?? "{}")
    }

    static var jsonOptions: JSONEncodingOptions {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = true
        return options
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An error as `{"error": message}`.
    static func failure(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let text = (try? JSONSerialization.data(withJSONObject: ["error": message])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return json(text, status: status)
    }
}

extension Longshot_V1_ErrorCode {
    /// The HTTP status a dashboard request answers with for this error.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .unauthenticated: .unauthorized
        case .permissionDenied: .forbidden
        case .notFound: .notFound
        case .invalidArgument: .badRequest
        case .conflict: .conflict
        case .unavailable: .serviceUnavailable
        default: .badGateway
        }
    }
}

/// Job states as the page names them (`running`, `succeeded`, ...).
enum JobStateName {
    static func parse(_ name: String) -> Longshot_V1_JobState? {
        switch name {
        case "queued": .queued
        case "running": .running
        case "stitching": .stitching
        case "encoding": .encoding
        case "succeeded": .succeeded
        case "failed": .failed
        case "cancelled": .cancelled
        default: nil
        }
    }
}
