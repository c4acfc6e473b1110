import LongshotDiffusion
import LongshotJob

/// A low-resolution strip of a few video frames decoded from a window's (or a codenoise group's) current
/// prediction: what the dashboard shows while the job renders. Made by workers, never the coordinator.
public struct PreviewStrip: Sendable, Equatable {
    /// Interleaved RGB bytes, `width * height * 3`: the frames side by side.
    public var rgb: [UInt8]
    public var width: Int
    public var height: Int
    /// The video frames shown, left to right.
    public var videoFrames: [Int]

    /// Frames in a strip, and the width of each (height follows the video's aspect ratio).
    public static let frameCount = 4
    public static let frameWidth = 96

    /// Decodes up to ``frameCount`` frames spread over latent frames `frames` of `prediction` (the
    /// prediction on exactly those frames) and shrinks each to ``frameWidth`` pixels wide.
    ///
    /// Only video frames whose decoder input lies inside `frames` are picked, so the strip needs nothing
    /// from other windows. Returns nil when none does (a window shorter than the decoder's context).
    public static func make(plan: JobPlan, denoiser: any Denoiser, frames: Range<Int>, prediction: [Float]) throws -> PreviewStrip? {
        let layout = plan.layout
        let spec = plan.spec
        let latents = LatentVideo(layout: layout, firstFrame: frames.lowerBound, frames: frames.count, data: prediction)
        let firstVideo = layout.firstVideoFrame(ofLatentFrame: frames.lowerBound)
        let lastVideo = min(layout.firstVideoFrame(ofLatentFrame: frames.upperBound - 1), spec.videoFrames - 1)
        let decodable = (firstVideo...max(firstVideo, lastVideo)).filter { v in
            let needed = layout.decodeLatents(forVideoFrames: v..<(v + 1), total: plan.latentFrames)
            return needed.lowerBound >= frames.lowerBound && needed.upperBound <= frames.upperBound
        }
        guard !decodable.isEmpty else { return nil }
        let picked = (0..<min(frameCount, decodable.count)).map { k in
            decodable[decodable.count == 1 ? 0 : k * (decodable.count - 1) / max(1, min(frameCount, decodable.count) - 1)]
        }
        let thumbWidth = min(frameWidth, spec.width)
        let thumbHeight = max(1, (spec.height * thumbWidth + spec.width / 2) / spec.width)
        var strip = [UInt8](repeating: 0, count: thumbWidth * picked.count * thumbHeight * 3)
        for (slot, v) in picked.enumerated() {
            let needed = layout.decodeLatents(forVideoFrames: v..<(v + 1), total: plan.latentFrames)
            guard let frame = try denoiser.decode(latents.slice(needed), videoFrames: v..<(v + 1), width: spec.width, height: spec.height).first
            else { continue }
            let thumb = shrink(frame, width: spec.width, height: spec.height, to: thumbWidth, thumbHeight)
            for y in 0..<thumbHeight {
                let dst = (y * thumbWidth * picked.count + slot * thumbWidth) * 3
                strip.replaceSubrange(dst..<(dst + thumbWidth * 3), with: thumb[(y * thumbWidth * 3)..<((y + 1) * thumbWidth * 3)])
            }
        }
        return PreviewStrip(rgb: strip, width: thumbWidth * picked.count, height: thumbHeight, videoFrames: picked)
    }

    /// Box-filters an RGB image down to `w` x `h`.
    static func shrink(_ rgb: [UInt8], width: Int, height: Int, to w: Int, _ h: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let y0 = y * height / h, y1 = max(y0 + 1, (y + 1) * height / h)
            for x in 0..<w {
                let x0 = x * width / w, x1 = max(x0 + 1, (x + 1) * width / w)
                for c in 0..<3 {
                    var sum = 0
                    for sy in y0..<y1 { for sx in x0..<x1 { sum += Int(rgb[(sy * width + sx) * 3 + c]) } }
                    out[(y * w + x) * 3 + c] = UInt8(sum / ((y1 - y0) * (x1 - x0)))
                }
            }
        }
        return out
    }
}
