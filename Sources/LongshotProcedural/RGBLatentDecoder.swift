import Dispatch
import LongshotDiffusion

/// The procedural engine's fixed decoder: latents are RGB in [-1, 1] at reduced resolution and frame rate;
/// a video frame interpolates its two nearest latent frames in time, then upsamples bilinearly in space.
struct RGBLatentDecoder: Sendable {
    let layout: LatentLayout

    func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) -> [[UInt8]] {
        let h = layout.height, w = layout.width, plane = h * w
        let xTaps = Self.taps(out: width, in: w)
        let yTaps = Self.taps(out: height, in: h)
        let frames = Array(videoFrames)
        let output = FrameSlots(count: frames.count)
        DispatchQueue.concurrentPerform(iterations: frames.count) { slot in
            let frame = frames[slot]
            // Latent position of this video frame, clamped to the latent frames we hold.
            let position = Double(frame) / Double(layout.temporalFactor)
            let lo = min(max(Int(position.rounded(.down)), latents.firstFrame), latents.firstFrame + latents.frames - 1)
            let hi = min(lo + 1, latents.firstFrame + latents.frames - 1)
            let a = Float(min(max(position - Double(lo), 0), 1))
            var mixed = [Float](repeating: 0, count: layout.frameSize)
            latents.data.withUnsafeBufferPointer { d in
                let b0 = (lo - latents.firstFrame) * layout.frameSize
                let b1 = (hi - latents.firstFrame) * layout.frameSize
                for j in 0..<layout.frameSize { mixed[j] = d[b0 + j] + (d[b1 + j] - d[b0 + j]) * a }
            }
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            mixed.withUnsafeBufferPointer { m in
                rgb.withUnsafeMutableBufferPointer { out in
                    for y in 0..<height {
                        let (y0, y1, fy) = yTaps[y]
                        for x in 0..<width {
                            let (x0, x1, fx) = xTaps[x]
                            for c in 0..<3 {
                                let p = m.baseAddress! + c * plane
                                let top = p[y0 * w + x0] + (p[y0 * w + x1] - p[y0 * w + x0]) * fx
                                let bottom = p[y1 * w + x0] + (p[y1 * w + x1] - p[y1 * w + x0]) * fx
                                let v = (top + (bottom - top) * fy + 1) * 127.5
                                out[(y * width + x) * 3 + c] = UInt8(min(max(v.rounded(), 0), 255))
                            }
                        }
                    }
                }
            }
            output.set(slot, rgb)
        }
        return output.values()
    }

    /// For each output coordinate: the two source samples and the weight of the second (pixel centres aligned).
    static func taps(out: Int, in source: Int) -> [(Int, Int, Float)] {
        (0..<out).map { o in
            let s = (Double(o) + 0.5) * Double(source) / Double(out) - 0.5
            let s0 = Int(s.rounded(.down))
            let f = Float(s - Double(s0))
            return (min(max(s0, 0), source - 1), min(max(s0 + 1, 0), source - 1), f)
        }
    }
}

/// Slots for decoded frames; each written by one concurrentPerform iteration.
final class FrameSlots: @unchecked Sendable {
    // Safety: every slot is written by exactly one iteration and read after concurrentPerform returns.
    private let slots: UnsafeMutableBufferPointer<[UInt8]>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: [])
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ i: Int, _ value: [UInt8]) { slots[i] = value }
    func values() -> [[UInt8]] { Array(slots) }
}
