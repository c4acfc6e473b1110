import Foundation
import LongshotNoise

/// Where one object is at an absolute time: centre (in frame-height units, x in [0, aspect]), radius, rotation.
struct ObjectPose {
    var x: Double
    var y: Double
    var radius: Double
    var rotation: Double
}

/// One object of one scene variant: its shape, colour and a motion that is a continuous function of time.
struct ObjectTrack: Sendable {
    var shape: ShapeKind
    var color: RGB
    var motion: Motion
    var radius: Double
    /// Screen heights per second.
    var speed: Double
    var x0: Double
    var y0: Double
    var heading: Double
    var phase: Double
    var rotation0: Double

    /// Draws the random parameters of object `index` of variant `variant` from `random`.
    init(spec: ObjectSpec, variant: Int, index: Int, aspect: Double, random: CounterRandom) {
        func u(_ p: Int) -> Double { random.uniform(variant, index, p) }
        shape = spec.shape
        color = spec.color
        motion = spec.motion
        radius = spec.size * (0.85 + 0.3 * u(0))
        speed = 0.25 * spec.speed * (0.8 + 0.4 * u(1))
        x0 = radius + (aspect - 2 * radius) * u(2)
        y0 = radius + (1 - 2 * radius) * u(3)
        heading = 2 * Double.pi * u(4)
        phase = u(5)
        rotation0 = 2 * Double.pi * u(6)
    }

    func pose(at time: Double, aspect: Double) -> ObjectPose {
        let r = radius
        let d = speed * time
        switch motion {
        case .bounce:
            // Gravity-like hops while drifting sideways between the walls.
            let hop = abs(sin(Double.pi * (phase + d * 1.6)))
            let x = reflect(x0 + d * 0.6 * (cos(heading) >= 0 ? 1 : -1), lo: r, hi: aspect - r)
            let y = (1 - r) - hop * (0.75 - r)
            return ObjectPose(x: x, y: y, radius: r, rotation: rotation0)
        case .left, .right:
            let dir: Double = motion == .right ? 1 : -1
            let x = wrap(x0 + dir * d, lo: -r, hi: aspect + r)
            let y = y0 + 0.04 * sin(2 * Double.pi * (phase + d))
            return ObjectPose(x: x, y: y, radius: r, rotation: rotation0)
        case .up, .down:
            let dir: Double = motion == .down ? 1 : -1
            let y = wrap(y0 + dir * d, lo: -r, hi: 1 + r)
            let x = x0 + 0.04 * sin(2 * Double.pi * (phase + d))
            return ObjectPose(x: x, y: y, radius: r, rotation: rotation0)
        case .orbit:
            let orbit = 0.18 + 0.12 * phase
            let angle = heading + d / orbit
            return ObjectPose(
                x: aspect / 2 + orbit * 1.3 * cos(angle), y: 0.5 + orbit * sin(angle), radius: r,
                rotation: rotation0 + angle)
        case .grow:
            let scale = 1 + 0.45 * sin(2 * Double.pi * (phase + d * 1.5))
            return ObjectPose(x: x0, y: y0, radius: r * scale, rotation: rotation0)
        case .drift:
            let x = x0 + 0.12 * sin(heading + d * 2.1)
            let y = y0 + 0.10 * sin(phase * 6.28 + d * 1.7)
            return ObjectPose(x: x, y: y, radius: r, rotation: rotation0 + 0.3 * sin(d))
        case .spin:
            return ObjectPose(x: x0, y: y0, radius: r, rotation: rotation0 + d * 6)
        case .still:
            return ObjectPose(x: x0, y: y0, radius: r, rotation: rotation0)
        }
    }
}

/// Position bouncing between `lo` and `hi` (a triangle wave): continuous, with reflections at the walls.
func reflect(_ v: Double, lo: Double, hi: Double) -> Double {
    let span = hi - lo
    guard span > 0 else { return (lo + hi) / 2 }
    var u = (v - lo).truncatingRemainder(dividingBy: 2 * span)
    if u < 0 { u += 2 * span }
    return lo + (u <= span ? u : 2 * span - u)
}

/// Position wrapping from `hi` back to `lo`; the jump happens off screen when the range extends past it.
func wrap(_ v: Double, lo: Double, hi: Double) -> Double {
    let span = hi - lo
    var u = (v - lo).truncatingRemainder(dividingBy: span)
    if u < 0 { u += span }
    return lo + u
}
