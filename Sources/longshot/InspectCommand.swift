import ArgumentParser
import Foundation
import LongshotRender

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Measure a video's seams: frame-to-frame change inside window overlaps against elsewhere.",
        discussion: """
            The headline is the worst seam step: the largest frame-to-frame change inside any window overlap, \
            over the median change outside the overlaps. Windows that disagree (ghosts, a vanishing object) \
            jump there; above 1.5 the seams are reported visible.
            """)

    @Argument(help: "The video to inspect.")
    var video: String

    @Option(help: "Seam frame ranges 'a-b,c-d' (default: the ranges in the video's metadata).")
    var seams: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let result: SeamInspection.Result
        do {
            result = try SeamInspection.inspect(
                URL(fileURLWithPath: video), seams: seams.map(Provenance.parseRanges))
        } catch {
            throw fail("\(error)")
        }
        let r = result.report
        if json {
            let object: [String: Any] = [
                "frames": result.frames, "width": result.info.width, "height": result.info.height,
                "fps": result.info.fps, "duration": result.info.duration, "seamRatio": r.ratio,
                "worstSeamRatio": r.worstSeamRatio, "seamMean": r.seamMean, "elsewhereMean": r.elsewhereMean,
                "worstStepRatio": r.worstStepRatio, "worstStepFrame": r.worstStepFrame ?? NSNull(), "medianStep": r.medianStep,
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
