import Foundation
import LongshotNoise

/// One of the K variants the seed draws for a shot: every object with its own placement and phase.
struct SceneVariant: Sendable {
    let spec: SceneSpec
    let tracks: [ObjectTrack]
    let aspect: Double

    init(spec: SceneSpec, variant: Int, shot: Int, seed: UInt64, aspect: Double) {
        self.spec = spec
        self.aspect = aspect
        let random = CounterRandom(seed: seed, domain: UInt32(truncatingIfNeeded: shot) &+ 0x5CE7_0000)
        var tracks: [ObjectTrack] = []
        for (group, object) in spec.objects.enumerated() {
            for copy in 0..<object.count {
                tracks.append(
                    ObjectTrack(spec: object, variant: variant, index: group * 64 + copy, aspect: aspect, random: random))
            }
        }
        self.tracks = tracks
    }

    /// Renders the variant at `time` into `out` as planar RGB floats in [0, 1] ([channel][y][x]).
    func render(time: Double, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let plane = width * height
        let pixel = 1.0 / Double(height)
        for y in 0..<height {
            let a = Float(y) / Float(max(height - 1, 1))
            let top = spec.backgroundTop, bottom = spec.backgroundBottom
            let bg = RGB(top.r + (bottom.r - top.r) * a, top.g + (bottom.g - top.g) * a, top.b + (bottom.b - top.b) * a)
            for x in 0..<width {
                let i = y * width + x
                out[i] = bg.r
                out[plane + i] = bg.g
                out[2 * plane + i] = bg.b
            }
        }
        for track in tracks {
            let pose = track.pose(at: time, aspect: aspect)
            let reach = pose.radius * 1.5 + 2 * pixel
            let x0 = max(0, Int(((pose.x - reach) / pixel).rounded(.down)))
            let x1 = min(width - 1, Int(((pose.x + reach) / pixel).rounded(.up)))
            let y0 = max(0, Int(((pose.y - reach) / pixel).rounded(.down)))
            let y1 = min(height - 1, Int(((pose.y + reach) / pixel).rounded(.up)))
            guard x0 <= x1, y0 <= y1 else { continue }
            let (cosR, sinR) = (cos(pose.rotation), sin(pose.rotation))
            for y in y0...y1 {
                for x in x0...x1 {
                    let px = (Double(x) + 0.5) * pixel - pose.x
                    let py = (Double(y) + 0.5) * pixel - pose.y
                    let lx = cosR * px + sinR * py
                    let ly = -sinR * px + cosR * py
                    let d = ShapeDistance.distance(track.shape, x: lx, y: ly, radius: pose.radius)
                    let coverage = Float(min(max(0.5 - d / pixel, 0), 1))
                    guard coverage > 0 else { continue }
                    let shade = Float(1.08 - 0.35 * min(((px + 0.35 * pose.radius) * (px + 0.35 * pose.radius) + (py + 0.35 * pose.radius) * (py + 0.35 * pose.radius)).squareRoot() / (1.6 * pose.radius), 1))
                    let i = y * width + x
                    out[i] += (min(track.color.r * shade, 1) - out[i]) * coverage
                    out[plane + i] += (min(track.color.g * shade, 1) - out[plane + i]) * coverage
                    out[2 * plane + i] += (min(track.color.b * shade, 1) - out[2 * plane + i]) * coverage
                }
            }
        }
    }
}

/// Signed distances (negative inside) to the shapes, centred at the origin, in frame-height units.
enum ShapeDistance {
    static func distance(_ shape: ShapeKind, x: Double, y: Double, radius r: Double) -> Double {
        switch shape {
        case .circle:
            return (x * x + y * y).squareRoot() - r
        case .ring:
            return abs((x * x + y * y).squareRoot() - r * 0.78) - r * 0.22
        case .square:
            let h = r * 0.85
            let dx = abs(x) - h, dy = abs(y) - h
            let outside = (max(dx, 0) * max(dx, 0) + max(dy, 0) * max(dy, 0)).squareRoot()
            return outside + min(max(dx, dy), 0)
        case .triangle:
            // Equilateral triangle with circumradius r, apex up: the largest of three edge distances.
            let c = 0.866_025_403_784_438_6  // cos 30°
            let bottom = y
            let right = c * x - 0.5 * y
            let left = -c * x - 0.5 * y
            return max(bottom, max(right, left)) - r * 0.5
        }
    }
}
