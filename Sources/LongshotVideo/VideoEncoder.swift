import CFFmpeg
import Foundation

/// What to encode: H.264 (libx264) in MP4, yuv420p, a constant frame rate.
public struct VideoSettings: Sendable {
    public var width: Int
    public var height: Int
    public var fps: Int
    /// x264's constant rate factor: 0 is lossless, 18 visually lossless, 23 the default, 51 the worst.
    public var crf: Int
    public var preset: String
    /// Container tags (written with movflags use_metadata_tags, so any key survives).
    public var metadata: [String: String]

    public init(width: Int, height: Int, fps: Int, crf: Int = 20, preset: String = "veryfast", metadata: [String: String] = [:]) {
        self.width = width
        self.height = height
        self.fps = fps
        self.crf = crf
        self.preset = preset
        self.metadata = metadata
    }
}

/// Encodes RGB frames to an MP4 file. The file is written under a temporary name beside the destination
/// and renamed by `finish()`, so a failure never leaves a partial output behind.
///
/// Not thread-safe: use one encoder from one thread at a time.
public final class VideoEncoder {
    public let destination: URL
    public let settings: VideoSettings
    public private(set) var framesWritten = 0
    private let temporary: URL
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var finished = false

    public init(destination: URL, settings: VideoSettings) throws {
        guard settings.width > 0, settings.height > 0, settings.width % 2 == 0, settings.height % 2 == 0 else {
            throw FFmpegError("opening the encoder", message: "size \(settings.width)x\(settings.height) must be positive and even for yuv420p")
        }
        quietFFmpegLogs()
        self.destination = destination
        self.settings = settings
        let directory = destination.deletingLastPathComponent()
        temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try open()
        } catch {
            close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    deinit {
        close()
        if !finished { try? FileManager.default.removeItem(at: temporary) }
    }

    private func open() throws {
        try check(avformat_alloc_output_context2(&format, nil, "mp4", temporary.path), "creating the MP4 muxer")
        guard let format else { throw FFmpegError("creating the MP4 muxer", message: "no context") }
        guard let encoder = avcodec_find_encoder_by_name("libx264") else {
            throw FFmpegError("finding the H.264 encoder", message: "libx264 is not available in this FFmpeg build")
        }
        guard let stream = avformat_new_stream(format, nil) else {
            throw FFmpegError("adding the video stream", message: "out of memory")
        }
        self.stream = stream
        guard let codec = avcodec_alloc_context3(encoder) else {
            throw FFmpegError("allocating the encoder", message: "out of memory")
        }
        self.codec = codec
        codec.pointee.width = Int32(settings.width)
        codec.pointee.height = Int32(settings.height)
        codec.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        codec.pointee.time_base = AVRational(num: 1, den: Int32(settings.fps))
        codec.pointee.framerate = AVRational(num: Int32(settings.fps), den: 1)
        codec.pointee.gop_size = Int32(settings.fps * 2)
        if format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            codec.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        // One x264 thread: the bits then depend on nothing but the frames and these settings (x264's frame
        // threads follow the core count, so two machines could encode one job differently). Segments are
        // encoded in parallel on the workers, so the farm loses little (docs/benchmarks.md).
        codec.pointee.thread_count = 1
        var options: OpaquePointer?
        av_dict_set(&options, "crf", String(settings.crf), 0)
        av_dict_set(&options, "preset", settings.preset, 0)
        av_dict_set(&options, "x264-params", "threads=1:lookahead-threads=1:sliced-threads=0", 0)
        let opened = avcodec_open2(codec, encoder, &options)
        av_dict_free(&options)
        try check(opened, "opening libx264 (crf \(settings.crf), preset \(settings.preset))")
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, codec), "copying the codec parameters")
        stream.pointee.time_base = codec.pointee.time_base
        stream.pointee.avg_frame_rate = codec.pointee.framerate
        for (key, value) in settings.metadata.sorted(by: { $0.key < $1.key }) {
            av_dict_set(&format.pointee.metadata, key, value, 0)
        }
        try check(avio_open(&format.pointee.pb, temporary.path, AVIO_FLAG_WRITE), "opening \(temporary.path) for writing")
        var muxerOptions: OpaquePointer?
        av_dict_set(&muxerOptions, "movflags", "+faststart+use_metadata_tags", 0)
        let header = avformat_write_header(format, &muxerOptions)
        av_dict_free(&muxerOptions)
        try check(header, "writing the MP4 header")

        frame = av_frame_alloc()
        packet = av_packet_alloc()
        guard let frame, packet != nil else { throw FFmpegError("allocating frames", message: "out of memory") }
        frame.pointee.width = Int32(settings.width)
        frame.pointee.height = Int32(settings.height)
        frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        try check(av_frame_get_buffer(frame, 0), "allocating the frame buffer")
        // The rows' padding past the width is never written by the scaler: start it at zero, not at
        // whatever the allocator left there, so no encoder read of it can vary from run to run.
        withUnsafeBytes(of: &frame.pointee.buf) { raw in
            for buffer in raw.bindMemory(to: UnsafeMutablePointer<AVBufferRef>?.self) {
                if let buffer { memset(buffer.pointee.data, 0, buffer.pointee.size) }
            }
        }
        scaler = sws_getContext(
            Int32(settings.width), Int32(settings.height), AV_PIX_FMT_RGB24, Int32(settings.width),
            Int32(settings.height), AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
        guard scaler != nil else { throw FFmpegError("creating the RGB to YUV converter", message: "unsupported size") }
    }

    /// Appends one frame of interleaved RGB bytes (`width * height * 3`).
    public func append(rgb: [UInt8]) throws {
        guard !finished, let frame, let codec else { throw FFmpegError("appending a frame", message: "the encoder is closed") }
        guard rgb.count == settings.width * settings.height * 3 else {
            throw FFmpegError("appending frame \(framesWritten)", message: "expected \(settings.width * settings.height * 3) RGB bytes, got \(rgb.count)")
        }
        try check(av_frame_make_writable(frame), "making frame \(framesWritten) writable")
        rgb.withUnsafeBufferPointer { src in
            var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
            var srcStride: [Int32] = [Int32(settings.width * 3), 0, 0, 0]
            withUnsafeMutableBytes(of: &frame.pointee.data) { dataRaw in
                withUnsafeMutableBytes(of: &frame.pointee.linesize) { strideRaw in
                    let dst = dataRaw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
                    let dstStride = strideRaw.bindMemory(to: Int32.self)
                    _ = sws_scale(scaler, &srcData, &srcStride, 0, Int32(settings.height), dst.baseAddress, dstStride.baseAddress)
                }
            }
        }
        frame.pointee.pts = Int64(framesWritten)
        try check(avcodec_send_frame(codec, frame), "encoding frame \(framesWritten)")
        framesWritten += 1
        try drain()
    }

    /// Flushes the encoder, writes the trailer and moves the file to its destination.
    public func finish() throws {
        guard !finished, let codec, let format else { return }
        try check(avcodec_send_frame(codec, nil), "flushing the encoder")
        try drain()
        try check(av_write_trailer(format), "writing the MP4 trailer")
        avio_closep(&format.pointee.pb)
        close()
        // rename(2) replaces an existing file atomically.
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FFmpegError("moving the finished video to \(destination.path)", message: reason)
        }
        finished = true
    }

    /// Writes every packet the encoder has ready. libx264 leaves packet durations at 0, which makes the MP4
    /// short by a frame: each packet lasts one frame in the codec's time base.
    private func drain() throws {
        guard let codec, let packet, let stream, let format else { return }
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == longshot_eagain() || received == longshot_averror_eof() { return }
            try check(received, "receiving an encoded packet")
            packet.pointee.duration = 1
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            try check(av_interleaved_write_frame(format, packet), "writing a packet to \(temporary.path)")
        }
    }

    private func close() {
        if let format {
            if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
        }
        if codec != nil { avcodec_free_context(&codec) }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if let scaler {
            sws_freeContext(scaler)
            self.scaler = nil
        }
    }
}
