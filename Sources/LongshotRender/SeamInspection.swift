import Foundation
import LongshotVideo

/// Measures the seams of a Longshot video from the overlap ranges its metadata names (or given ones).
public enum SeamInspection {
    public struct Result: Sendable {
        public var info: VideoInfo
        public var frames: Int
        public var report: SeamMeter.Report
    }

    public static func inspect(_ url: URL, seams explicit: [Range<Int>]? = nil) throws -> Result {
        let decoder = try VideoDecoder(url: url)
        let seams = explicit ?? Provenance.parseRanges(decoder.info.metadata["longshot_seams"] ?? "")
        let cuts = Provenance.parseRanges(decoder.info.metadata["longshot_transitions"] ?? "")
        guard !seams.isEmpty else {
            throw FFmpegError("inspecting \(url.path)", message: "the video names no window seams (not a Longshot video?); pass --seams")
        }
        var previous: [UInt8]?
        var differences: [Double] = []
        var steps: [Double] = []
        let frames = try decoder.forEachFrame(as: .rgb24) { _, rgb in
            if let previous {
                differences.append(SeamMeter.difference(previous, rgb))
                steps.append(SeamMeter.changedFraction(previous, rgb))
            }
            previous = rgb
        }
        return Result(
            info: decoder.info, frames: frames,
            report: SeamMeter(seams: seams, cuts: cuts).report(differences: differences, steps: steps))
    }
}
