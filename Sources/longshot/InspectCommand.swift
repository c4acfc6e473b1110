import ArgumentParser
import Foundation
import LongshotRender

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Measure a video's seams: frame-to-frame change inside window overlaps against elsewhere.",
        discussion: """
            The headline is the worst seam step: the largest frame-to-frame step inside any window overlap \
            (the share of pixels that changed visibly), over the largest step outside the overlaps (and, for \
            reference, over the median step). Windows that disagree cross-fade two copies of the scene \
            (ghosts, an object that vanishes and comes back), which changes far more pixels at once than \
            the video does anywhere else; above 1.5 the seams are reported visible.
            """)

    @Argument(help: "The video to inspect.")
    var video: String

    @Option(help: "Seam frame ranges 'a-b,c-d' (default: the ranges in the video's metadata).")
    var seams: String?

    @Flag(help: "Print JSON.")
    var json = false

    /// `a-b,c-d` as frame ranges (inclusive), each part checked.
    static func parseSeams(_ text: String) throws -> [Range<Int>] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.count == 2, let first = bounds[0], let last = bounds[1], first >= 0, last >= first else {
                throw fail("seams: '\(part)' is not a frame range FIRST-LAST (0 <= FIRST <= LAST), e.g. --seams 18-23,42-47")
            }
            return first..<(last + 1)
        }
    }

    func run() throws {
        let explicit = try seams.map(Self.parseSeams)
        let result: SeamInspection.Result
        do {
            result = try SeamInspection.inspect(URL(fileURLWithPath: video), seams: explicit)
        } catch {
            throw fail("\(error)")
        }
        if let explicit, let past = explicit.first(where: { $0.upperBound > result.frames }) {
            throw fail("seams: range \(past.lowerBound)-\(past.upperBound - 1) is past the video's end (its \(result.frames) frames are 0-\(result.frames - 1))")
        }
        let r = result.report
        if json {
            let object: [String: Any] = [
                "frames": result.frames, "width": result.info.width, "height": result.info.height,
                "fps": result.info.fps, "duration": result.info.duration, "seamRatio": r.ratio,
                "worstSeamRatio": r.worstSeamRatio, "seamMean": r.seamMean, "elsewhereMean": r.elsewhereMean,
                "worstStepRatio": r.worstStepRatio, "worstStepOverMedian": r.worstStepOverMedian, "worstStepFrame": r.worstStepFrame ?? NSNull(), "medianStep": r.medianStep,
                "seamsVisible": r.seamsVisible,
                "metadata": result.info.metadata,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(video): \(result.info.codec) \(result.info.width)x\(result.info.height), \(result.frames) frames, \(String(format: "%.2f", result.info.duration)) s")
            print(r.description)
        }
    }
}
