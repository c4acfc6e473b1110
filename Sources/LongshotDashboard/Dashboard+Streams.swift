import Foundation
import HTTPTypes
import Hummingbird
import LongshotProtocol
import SwiftProtobuf

extension Dashboard {
    /// The finished MP4, read from the coordinator in chunks; answers `Range: bytes=a-b` with 206 so a
    /// `<video>` element can seek.
    func video(_ request: Request, job: String) async -> Response {
        guard let token = token(request) else { return Self.failure(.unauthorized, "sign in with a client or admin token") }
        let first = await backend(.fetchVideo(.with { $0.jobID = job; $0.offset = 0; $0.maxBytes = 1 }), token)
        guard case .videoChunk(let head)? = first.body else { return Self.reply(first) }
        let total = head.totalBytes
        guard total > 0 else { return Self.failure(.notFound, "job \(job) has no video yet") }
        let asked = request.headers[.range].map { ByteRange($0, total: total) }
        if case .some(nil) = asked {
            return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(total)"])
        }
        let range = asked??.range ?? 0...(total - 1)
        let partial = asked != nil
        let backend = backend
        let body = ResponseBody(contentLength: Int(range.count)) { writer in
            var offset = range.lowerBound
            while offset <= range.upperBound {
                let wanted = UInt32(min(UInt64(4 << 20), range.upperBound - offset + 1))
                let reply = await backend(.fetchVideo(.with { $0.jobID = job; $0.offset = offset; $0.maxBytes = wanted }), token)
                guard case .videoChunk(let chunk)? = reply.body, !chunk.data.isEmpty else { break }
                let piece = chunk.data.prefix(Int(range.upperBound - offset + 1))
                try await writer.write(ByteBuffer(bytes: piece))
                offset += UInt64(piece.count)
            }
            try await writer.finish(nil)
        }
        var headers: HTTPFields = [.contentType: "video/mp4", .acceptRanges: "bytes", .cacheControl: "no-store"]
        if partial { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(total)" }
        return Response(status: partial ? .partialContent : .ok, headers: headers, body: body)
    }

    /// Server-Sent Events: every event the credential may watch (one job's with `?job=ID`), as the
    /// protocol's Event in JSON, one `data:` line each; a comment line every few seconds keeps proxies
    /// from closing an idle stream.
    func events(_ request: Request) -> Response {
        guard let token = token(request) else { return Self.failure(.unauthorized, "sign in with a client or admin token") }
        let job = request.uri.queryParameters.get("job") ?? ""
        let backend = backend
        let body = ResponseBody { writer in
            var after: UInt64 = 0
            var epoch = ""
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            while !Task.isCancelled {
                let reply = await backend(.watchEvents(.with { $0.jobID = job; $0.after = after; $0.epoch = epoch; $0.waitMs = 5000 }), token)
                guard case .eventBatch(let batch)? = reply.body else {
                    if case .error(let e)? = reply.body {
                        try await writer.write(ByteBuffer(string: "event: failure\ndata: \(Self.jsonString(["error": e.message]))\n\n"))
                        if e.code == .unauthenticated || e.code == .permissionDenied { break }
                    }
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                after = batch.last
                epoch = batch.epoch
                var text = batch.events.isEmpty ? ": idle\n\n" : ""
                for event in batch.events {
                    text += "data: \((try? event.jsonString(options: Self.jsonOptions)) ?? "{}")\n\n"
                }
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body)
    }

    static func jsonString(_ object: [String: String]) -> String {
        (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// One `Range: bytes=...` request header: a single range (`a-b`, `a-`, or the last `-n` bytes).
struct ByteRange: Equatable {
    var range: ClosedRange<UInt64>

    init?(_ header: String, total: UInt64) {
        guard total > 0, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        let last = total - 1
        if spec[0].isEmpty {
            guard let suffix = UInt64(spec[1]), suffix > 0 else { return nil }
            range = (total - min(suffix, total))...last
        } else {
            guard let start = UInt64(spec[0]), start <= last else { return nil }
            let end = spec[1].isEmpty ? last : UInt64(spec[1]).map { min($0, last) }
            guard let end, end >= start else { return nil }
            range = start...end
        }
    }
}
