import Foundation
import LongshotClient
import LongshotProtocol

/// Downloads a finished job's MP4 with `FetchVideo` in chunks, into a temporary file next to the
/// destination that is renamed into place only when complete.
public enum VideoDownload {
    /// The default chunk size (the coordinator caps chunks at 4 MiB).
    public static let chunkBytes: UInt32 = 4 << 20

    /// Fetches the video of `jobID` to `path`; returns its size in bytes.
    /// - Parameter progress: Receives (bytes so far, total bytes) after each chunk.
    /// - Throws: ``FarmClientError`` from the coordinator, ``LocalClusterError`` for local file problems
    ///   or an inconsistent reply.
    public static func fetch(
        jobID: String, client: FarmClient, to path: String, chunkBytes: UInt32 = VideoDownload.chunkBytes,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) async throws -> UInt64 {
        let destination = URL(fileURLWithPath: path).standardizedFileURL
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).part-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw LocalClusterError("cannot create \(temporary.path) (is \(destination.deletingLastPathComponent().path) writable?)")
        }
        var done = false
        defer { if !done { try? FileManager.default.removeItem(at: temporary) } }
        let handle = try FileHandle(forWritingTo: temporary)
        defer { try? handle.close() }
        var offset: UInt64 = 0
        while true {
            var request = Longshot_V1_FetchVideo()
            request.jobID = jobID
            request.offset = offset
            request.maxBytes = chunkBytes
            guard case .videoChunk(let chunk) = try await client.call(.fetchVideo(request), timeout: .seconds(60)) else {
                throw LocalClusterError("unexpected reply to FetchVideo from \(client.address)")
            }
            guard chunk.offset == offset else {
                throw LocalClusterError("FetchVideo: asked for offset \(offset), got \(chunk.offset)")
            }
            if !chunk.data.isEmpty { try handle.write(contentsOf: chunk.data) }
            offset += UInt64(chunk.data.count)
            progress(offset, chunk.totalBytes)
            if chunk.eof || (chunk.totalBytes > 0 && offset >= chunk.totalBytes) {
                guard chunk.totalBytes == 0 || offset == chunk.totalBytes else {
                    throw LocalClusterError("FetchVideo: got \(offset) of \(chunk.totalBytes) bytes")
                }
                break
            }
            guard !chunk.data.isEmpty else { throw LocalClusterError("FetchVideo: empty chunk before the end at offset \(offset)") }
        }
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: destination.path) { try FileManager.default.removeItem(at: destination) }
        try FileManager.default.moveItem(at: temporary, to: destination)
        done = true
        return offset
    }
}
