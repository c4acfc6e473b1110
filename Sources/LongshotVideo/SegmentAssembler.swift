import CFFmpeg
import Foundation

/// Joins MP4 segments (each encoded alone by ``VideoEncoder`` with the same settings, so each starts with
/// its own IDR frame and all share one set of H.264 parameters) into one MP4 by stream copy: no decoding,
/// no encoding, no model. Timestamps are shifted by the frames before each segment, every packet lasts
/// one frame, the container carries `metadata` and is written with faststart under a temporary name,
/// then renamed.
public enum SegmentAssembler {
    /// Writes `destination` from `segments` in order; returns the number of frames written.
    @discardableResult
    public static func assemble(_ segments: [URL], fps: Int, metadata: [String: String], to destination: URL) throws -> Int {
        guard !segments.isEmpty else { throw FFmpegError("assembling \(destination.path)", message: "no segments") }
        quietFFmpegLogs()
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        var output: UnsafeMutablePointer<AVFormatContext>?
        var packet = av_packet_alloc()
        var finished = false
        defer {
            if let output {
                if output.pointee.pb != nil { avio_closep(&output.pointee.pb) }
                avformat_free_context(output)
            }
            av_packet_free(&packet)
            if !finished { try? FileManager.default.removeItem(at: temporary) }
        }
        guard let packet else { throw FFmpegError("assembling", message: "out of memory") }
        try check(avformat_alloc_output_context2(&output, nil, "mp4", temporary.path), "creating the MP4 muxer")
        guard let output else { throw FFmpegError("creating the MP4 muxer", message: "no context") }
        let frameBase = AVRational(num: 1, den: Int32(fps))
        var outStream: UnsafeMutablePointer<AVStream>?
        var frames = 0
        for (number, url) in segments.enumerated() {
            let input = try SegmentInput(url: url)
            if outStream == nil {
                guard let stream = avformat_new_stream(output, nil) else { throw FFmpegError("adding the stream", message: "out of memory") }
                try check(avcodec_parameters_copy(stream.pointee.codecpar, input.stream.pointee.codecpar), "copying the codec parameters")
                stream.pointee.codecpar.pointee.codec_tag = 0
                stream.pointee.time_base = frameBase
                stream.pointee.avg_frame_rate = AVRational(num: Int32(fps), den: 1)
                for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                    av_dict_set(&output.pointee.metadata, key, value, 0)
                }
                try check(avio_open(&output.pointee.pb, temporary.path, AVIO_FLAG_WRITE), "opening \(temporary.path) for writing")
                var options: OpaquePointer?
                av_dict_set(&options, "movflags", "+faststart+use_metadata_tags", 0)
                let header = avformat_write_header(output, &options)
                av_dict_free(&options)
                try check(header, "writing the MP4 header")
                outStream = stream
            } else if let problem = input.mismatch(outStream!.pointee.codecpar) {
                throw FFmpegError("assembling segment \(number) (\(url.lastPathComponent))", message: problem)
            }
            let stream = outStream!
            let offset = av_rescale_q(Int64(frames), frameBase, stream.pointee.time_base)
            let oneFrame = av_rescale_q(1, frameBase, stream.pointee.time_base)
            var count = 0
            while true {
                let read = av_read_frame(input.format, packet)
                if read == longshot_averror_eof() { break }
                try check(read, "reading segment \(number)")
                defer { av_packet_unref(packet) }
                guard packet.pointee.stream_index == input.streamIndex else { continue }
                av_packet_rescale_ts(packet, input.stream.pointee.time_base, stream.pointee.time_base)
                if packet.pointee.pts != longshot_nopts_value() { packet.pointee.pts += offset }
                if packet.pointee.dts != longshot_nopts_value() { packet.pointee.dts += offset }
                packet.pointee.duration = oneFrame
                packet.pointee.stream_index = stream.pointee.index
                packet.pointee.pos = -1
                try check(av_interleaved_write_frame(output, packet), "writing segment \(number)")
                count += 1
            }
            frames += count
        }
        try check(av_write_trailer(output), "writing the MP4 trailer")
        avio_closep(&output.pointee.pb)
        guard rename(temporary.path, destination.path) == 0 else {
            throw FFmpegError("moving the video to \(destination.path)", message: String(cString: strerror(errno)))
        }
        finished = true
        return frames
    }
}

/// One segment file opened for reading packets.
private final class SegmentInput {
    var format: UnsafeMutablePointer<AVFormatContext>?
    let stream: UnsafeMutablePointer<AVStream>
    let streamIndex: Int32

    init(url: URL) throws {
        var opened: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_open_input(&opened, url.path, nil, nil), "opening segment \(url.path)")
        format = opened
        do {
            try check(avformat_find_stream_info(opened, nil), "reading segment \(url.path)")
            streamIndex = try check(av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0), "finding the video in \(url.path)")
            stream = opened!.pointee.streams[Int(streamIndex)]!
        } catch {
            avformat_close_input(&format)
            throw error
        }
    }

    deinit { avformat_close_input(&format) }

    /// Why this segment cannot follow the others by stream copy, if it cannot.
    func mismatch(_ first: UnsafeMutablePointer<AVCodecParameters>) -> String? {
        let p = stream.pointee.codecpar.pointee
        if p.codec_id != first.pointee.codec_id || p.width != first.pointee.width || p.height != first.pointee.height {
            return "its stream is \(p.width)x\(p.height) codec \(p.codec_id.rawValue), the first segment's \(first.pointee.width)x\(first.pointee.height) codec \(first.pointee.codec_id.rawValue)"
        }
        let a = UnsafeBufferPointer(start: p.extradata, count: Int(p.extradata_size))
        let b = UnsafeBufferPointer(start: first.pointee.extradata, count: Int(first.pointee.extradata_size))
        if !a.elementsEqual(b) { return "its H.264 parameter sets differ from the first segment's (other encoder settings)" }
        return nil
    }
}
