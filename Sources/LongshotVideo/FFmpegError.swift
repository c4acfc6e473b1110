import CFFmpeg

/// A failed FFmpeg call: what Longshot was doing, the library's return code and its own message.
public struct FFmpegError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var code: Int32
    public var message: String

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        self.message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public init(_ operation: String, message: String) {
        self.operation = operation
        self.code = 0
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}

/// Throws an `FFmpegError` when an FFmpeg return code is negative; returns it otherwise.
@discardableResult
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(FFmpegError) -> Int32 {
    if code < 0 { throw FFmpegError(operation(), code: code) }
    return code
}

/// Keeps FFmpeg's own log off the terminal: its errors reach the user through `FFmpegError` instead.
func quietFFmpegLogs() {
    av_log_set_level(AV_LOG_FATAL)
}
