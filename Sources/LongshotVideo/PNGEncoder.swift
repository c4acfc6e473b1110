import CFFmpeg
import Foundation

/// Encodes one RGB image as PNG with libavcodec's PNG encoder (the dashboard's preview strips).
public enum PNGEncoder {
    /// `rgb` is interleaved RGB bytes, `width * height * 3` of them.
    public static func encode(rgb: [UInt8], width: Int, height: Int) throws(FFmpegError) -> Data {
        guard width > 0, height > 0, rgb.count == width * height * 3 else {
            throw FFmpegError("encoding a PNG", message: "expected \(width)x\(height)x3 = \(max(0, width * height * 3)) RGB bytes, got \(rgb.count)")
        }
        quietFFmpegLogs()
        guard let encoder = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw FFmpegError("finding the PNG encoder", message: "this FFmpeg build has none")
        }
        var codec = avcodec_alloc_context3(encoder)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        defer {
            avcodec_free_context(&codec)
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let codec, let frame, let packet else { throw FFmpegError("allocating the PNG encoder", message: "out of memory") }
        codec.pointee.width = Int32(width)
        codec.pointee.height = Int32(height)
        codec.pointee.pix_fmt = AV_PIX_FMT_RGB24
        codec.pointee.time_base = AVRational(num: 1, den: 1)
        try check(avcodec_open2(codec, encoder, nil), "opening the PNG encoder")
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        try check(av_frame_get_buffer(frame, 0), "allocating the PNG frame")
        let stride = Int(frame.pointee.linesize.0)
        guard let pixels = frame.pointee.data.0 else { throw FFmpegError("allocating the PNG frame", message: "no buffer") }
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<height {
                memcpy(pixels + y * stride, src.baseAddress! + y * width * 3, width * 3)
            }
        }
        try check(avcodec_send_frame(codec, frame), "encoding the PNG")
        try check(avcodec_send_frame(codec, nil), "flushing the PNG encoder")
        var out = Data()
        while avcodec_receive_packet(codec, packet) >= 0 {
            out.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        guard !out.isEmpty else { throw FFmpegError("encoding the PNG", message: "the encoder wrote nothing") }
        return out
    }
}
