import CFFmpeg
import Foundation

/// What a video file holds, as its container reports it.
public struct VideoInfo: Sendable {
    public var codec: String
    public var width: Int
    public var height: Int
    /// Frames per second (the stream's average rate).
    public var fps: Double
    /// Duration in seconds (the container's).
    public var duration: Double
    public var metadata: [String: String]
}

/// Reads a video file's frames back as RGB (or grey) bytes. Not thread-safe: one reader per thread.
public final class VideoDecoder {
    public let info: VideoInfo
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32

    public init(url: URL) throws {
        quietFFmpegLogs()
        var format: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_open_input(&format, url.path, nil, nil), "opening \(url.path)")
        guard let opened = format else { throw FFmpegError("opening \(url.path)", message: "no context") }
        var codecContext: UnsafeMutablePointer<AVCodecContext>?
        do {
            try check(avformat_find_stream_info(opened, nil), "reading the streams of \(url.path)")
            var decoder: UnsafePointer<AVCodec>?
            streamIndex = try check(
                av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0), "finding a video stream in \(url.path)")
            guard let decoder, let codec = avcodec_alloc_context3(decoder) else {
                throw FFmpegError("opening the decoder for \(url.path)", message: "no decoder")
            }
            codecContext = codec
            let format = opened
            let stream = format.pointee.streams[Int(streamIndex)]!
            try check(avcodec_parameters_to_context(codec, stream.pointee.codecpar), "configuring the decoder")
            try check(avcodec_open2(codec, decoder, nil), "opening the decoder")
            var tags: [String: String] = [:]
            var entry: UnsafeMutablePointer<AVDictionaryEntry>?
            while let next = av_dict_get(format.pointee.metadata, "", entry, AV_DICT_IGNORE_SUFFIX) {
                tags[String(cString: next.pointee.key)] = String(cString: next.pointee.value)
                entry = next
            }
            let rate = stream.pointee.avg_frame_rate
            info = VideoInfo(
                codec: String(cString: decoder.pointee.name), width: Int(codec.pointee.width),
                height: Int(codec.pointee.height), fps: rate.den == 0 ? 0 : Double(rate.num) / Double(rate.den),
                duration: Double(format.pointee.duration) / Double(AV_TIME_BASE), metadata: tags)
            self.format = opened
            self.codec = codec
        } catch {
            avcodec_free_context(&codecContext)
            avformat_close_input(&format)
            throw error
        }
    }

    deinit { close() }

    public enum PixelFormat: Sendable {
        case rgb24, gray8

        var av: AVPixelFormat { self == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8 }
        var bytesPerPixel: Int { self == .rgb24 ? 3 : 1 }
    }

    /// Decodes every frame in order and hands it to `body` as tightly packed bytes.
    /// Returns the number of frames decoded.
    @discardableResult
    public func forEachFrame(as pixels: PixelFormat = .rgb24, _ body: (_ index: Int, _ bytes: [UInt8]) throws -> Void) throws -> Int {
        guard let format, let codec else { throw FFmpegError("decoding", message: "the decoder is closed") }
        var packet = av_packet_alloc()
        var frame = av_frame_alloc()
        defer {
            av_packet_free(&packet)
            av_frame_free(&frame)
        }
        let width = Int(codec.pointee.width), height = Int(codec.pointee.height)
        guard let scaler = sws_getContext(
            Int32(width), Int32(height), codec.pointee.pix_fmt, Int32(width), Int32(height), pixels.av, SWS_BILINEAR,
            nil, nil, nil)
        else { throw FFmpegError("creating the pixel converter", message: "unsupported format") }
        defer { sws_freeContext(scaler) }
        var count = 0
        var output = [UInt8](repeating: 0, count: width * height * pixels.bytesPerPixel)

        func receive() throws {
            while true {
                let r = avcodec_receive_frame(codec, frame)
                if r == longshot_eagain() || r == longshot_averror_eof() { return }
                try check(r, "decoding frame \(count)")
                output.withUnsafeMutableBufferPointer { out in
                    var dst: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress, nil, nil, nil]
                    var dstStride: [Int32] = [Int32(width * pixels.bytesPerPixel), 0, 0, 0]
                    withUnsafeBytes(of: &frame!.pointee.data) { dataRaw in
                        withUnsafeBytes(of: &frame!.pointee.linesize) { strideRaw in
                            let src = dataRaw.bindMemory(to: UnsafePointer<UInt8>?.self)
                            let srcStride = strideRaw.bindMemory(to: Int32.self)
                            _ = sws_scale(scaler, src.baseAddress, srcStride.baseAddress, 0, Int32(height), &dst, &dstStride)
                        }
                    }
                }
                try body(count, output)
                count += 1
            }
        }

        while true {
            let r = av_read_frame(format, packet)
            if r == longshot_averror_eof() { break }
            try check(r, "reading a packet")
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == streamIndex else { continue }
            try check(avcodec_send_packet(codec, packet), "sending a packet to the decoder")
            try receive()
        }
        try check(avcodec_send_packet(codec, nil), "flushing the decoder")
        try receive()
        return count
    }

    private func close() {
        if codec != nil { avcodec_free_context(&codec) }
        if format != nil { avformat_close_input(&format) }
    }
}
