import Foundation
import LongshotDigest
import LongshotTestSupport
import LongshotVideo
import Testing

/// A smooth, moving test pattern that H.264 at a good quality keeps closely.
func testPattern(frame: Int, width: Int, height: Int) -> [UInt8] {
    var rgb = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            rgb[i] = UInt8((x * 255) / max(width - 1, 1))
            rgb[i + 1] = UInt8((y * 255) / max(height - 1, 1))
            rgb[i + 2] = UInt8(40 + (frame * 4) % 180)
        }
    }
    return rgb
}

@Suite("VideoEncoder and VideoDecoder")
struct VideoRoundTripTests {
    let width = 64, height = 48, fps = 24

    @Test("48 frames at 24 fps come back as 48 frames, 2.00 s, tagged, close to the pattern")
    func roundTrip() throws {
        let dir = try ScratchDirectory("longshot-video")
        defer { dir.remove() }
        let out = dir.file("pattern.mp4")
        let tags = ["generator": "longshot-test", "longshot_seed": "7", "ai_generated": "true"]
        let encoder = try VideoEncoder(
            destination: out, settings: VideoSettings(width: width, height: height, fps: fps, crf: 12, metadata: tags))
        for f in 0..<48 { try encoder.append(rgb: testPattern(frame: f, width: width, height: height)) }
        #expect(encoder.framesWritten == 48)
        try encoder.finish()

        let video = try DecodedVideo(out)
        #expect(video.frames.count == 48)
        #expect(video.info.codec == "h264")
        #expect(video.info.width == width && video.info.height == height)
        #expect(abs(video.info.fps - 24) < 1e-9)
        #expect(abs(video.info.duration - 2.0) < 1e-6, "duration \(video.info.duration)")
        for (key, value) in tags { #expect(video.info.metadata[key] == value, "tag \(key): \(video.info.metadata)") }
        var worst = 0.0
        for (f, frame) in video.frames.enumerated() {
            worst = max(worst, FrameColor.meanAbsoluteError(frame, testPattern(frame: f, width: width, height: height)))
        }
        #expect(worst < 4, "worst mean absolute error \(worst)")
        // Frames stay in order: the blue ramp tracks the frame index.
        #expect(abs(video.meanColor(10).b - Double(40 + 40)) < 4)
        #expect(abs(video.meanColor(30).b - Double(40 + 120)) < 4)
    }

    @Test("finish() leaves only the destination: no .partial files")
    func noLeftovers() throws {
        let dir = try ScratchDirectory("longshot-video")
        defer { dir.remove() }
        let encoder = try VideoEncoder(destination: dir.file("a.mp4"), settings: VideoSettings(width: 32, height: 32, fps: 10))
        #expect(try dir.contents().count == 1, "the temporary file is written beside the destination")
        #expect(try dir.contents().allSatisfy { $0.contains(".partial") })
        for f in 0..<5 { try encoder.append(rgb: testPattern(frame: f, width: 32, height: 32)) }
        try encoder.finish()
        #expect(try dir.contents() == ["a.mp4"])
        #expect(try DecodedVideo(dir.file("a.mp4")).frames.count == 5)
    }

    @Test("an encoder dropped before finish() removes its temporary file and writes no output")
    func abandoned() throws {
        let dir = try ScratchDirectory("longshot-video")
        defer { dir.remove() }
        do {
            let encoder = try VideoEncoder(destination: dir.file("b.mp4"), settings: VideoSettings(width: 32, height: 32, fps: 10))
            try encoder.append(rgb: testPattern(frame: 0, width: 32, height: 32))
        }
        #expect(try dir.contents() == [])
    }

    @Test("an unwritable directory throws an FFmpegError with FFmpeg's text and leaves nothing behind")
    func unwritable() throws {
        // Root may write almost anywhere; sysfs refuses new files even to root.
        let destination = URL(fileURLWithPath: "/sys/longshot-test-\(getpid()).mp4")
        let error = try #require(throws: FFmpegError.self) {
            try VideoEncoder(destination: destination, settings: VideoSettings(width: 32, height: 32, fps: 10))
        }
        #expect(error.code < 0)
        #expect(error.message.contains("denied") || error.message.contains("not permitted"), "\(error)")
        #expect(error.description.contains("/sys/"))
        let left = try FileManager.default.contentsOfDirectory(atPath: "/sys").filter { $0.contains("longshot-test") }
        #expect(left.isEmpty)

        let missing = URL(fileURLWithPath: "/nonexistent-\(getpid())/out.mp4")
        let noDirectory = try #require(throws: FFmpegError.self) {
            try VideoEncoder(destination: missing, settings: VideoSettings(width: 32, height: 32, fps: 10))
        }
        #expect(noDirectory.message.contains("No such file or directory"), "\(noDirectory)")
    }

    @Test("frames of the wrong size and odd sizes are refused")
    func badInput() throws {
        let dir = try ScratchDirectory("longshot-video")
        defer { dir.remove() }
        #expect(throws: FFmpegError.self) {
            try VideoEncoder(destination: dir.file("odd.mp4"), settings: VideoSettings(width: 33, height: 32, fps: 10))
        }
        let encoder = try VideoEncoder(destination: dir.file("c.mp4"), settings: VideoSettings(width: 32, height: 32, fps: 10))
        #expect(throws: FFmpegError.self) { try encoder.append(rgb: [0, 0, 0]) }
    }

    @Test("decoding a file that is not a video throws FFmpeg's error")
    func notAVideo() throws {
        let dir = try ScratchDirectory("longshot-video")
        defer { dir.remove() }
        try Data("not a video".utf8).write(to: dir.file("x.mp4"))
        #expect(throws: FFmpegError.self) { try VideoDecoder(url: dir.file("x.mp4")) }
        #expect(throws: FFmpegError.self) { try VideoDecoder(url: dir.file("missing.mp4")) }
    }

    @Test("SHA-256 known vectors")
    func sha256() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash(Array("abc".utf8)).count == 32)
    }

    @Test("SeamMeter: seams that change more than elsewhere show a ratio above 1")
    func seamMeter() {
        let differences = (0..<20).map { $0 >= 8 && $0 < 11 ? 3.0 : 1.0 }
        let report = SeamMeter(seams: [8..<12]).report(differences: differences)
        #expect(abs(report.ratio - 3) < 1e-9)
        #expect(report.worstSeam == 8..<12)
        let smooth = SeamMeter(seams: [8..<12]).report(differences: [Double](repeating: 2, count: 20))
        #expect(abs(smooth.ratio - 1) < 1e-9)
        // A cut inside the range is left out of both means.
        let cut = SeamMeter(seams: [8..<12], cuts: [9..<11]).report(differences: differences)
        #expect(cut.seamMean == 0)
    }
}

@Suite("SeamMeter worst step")
struct SeamMeterWorstStepTests {
    @Test("the worst step inside a seam is measured against the largest and the median step elsewhere")
    func worstStep() {
        let differences = [Double](repeating: 1, count: 20)
        var steps = [Double](repeating: 0.01, count: 20)
        steps[9] = 0.05
        steps[3] = 0.02  // outside the seam: the largest step elsewhere
        let report = SeamMeter(seams: [8..<12]).report(differences: differences, steps: steps)
        #expect(abs(report.worstStepRatio - 2.5) < 1e-9)
        #expect(abs(report.worstStepOverMedian - 5) < 1e-9)
        #expect(report.worstStepFrame == 9)
        #expect(report.seamsVisible)
        steps[3] = 0.2  // a fast motion elsewhere: the seam steps no more than the video does
        #expect(!SeamMeter(seams: [8..<12]).report(differences: differences, steps: steps).seamsVisible)
    }

    @Test("changed fraction counts pixels whose largest channel change is visible")
    func changedFraction() {
        let a: [UInt8] = [0, 0, 0, 100, 100, 100, 10, 10, 10, 0, 0, 0]
        let b: [UInt8] = [0, 0, 13, 100, 100, 100, 20, 10, 10, 255, 0, 0]
        #expect(SeamMeter.changedFraction(a, b) == 0.5)
    }
}
