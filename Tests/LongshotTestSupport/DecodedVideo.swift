import Foundation
import LongshotVideo

/// A whole video decoded back to RGB frames, for tests that check what a file holds.
public struct DecodedVideo {
    public var info: VideoInfo
    public var frames: [[UInt8]]

    public init(_ url: URL) throws {
        let decoder = try VideoDecoder(url: url)
        var frames: [[UInt8]] = []
        try decoder.forEachFrame(as: .rgb24) { _, rgb in frames.append(rgb) }
        self.info = decoder.info
        self.frames = frames
    }

    /// Mean red, green and blue (0-255) of frame `index`.
    public func meanColor(_ index: Int) -> (r: Double, g: Double, b: Double) {
        FrameColor.mean(frames[index])
    }
}

/// Colour statistics of interleaved RGB frames.
public enum FrameColor {
    public static func mean(_ rgb: [UInt8]) -> (r: Double, g: Double, b: Double) {
        var sums = (0, 0, 0)
        var i = 0
        while i + 2 < rgb.count {
            sums.0 += Int(rgb[i])
            sums.1 += Int(rgb[i + 1])
            sums.2 += Int(rgb[i + 2])
            i += 3
        }
        let n = Double(max(rgb.count / 3, 1))
        return (Double(sums.0) / n, Double(sums.1) / n, Double(sums.2) / n)
    }

    /// How many pixels satisfy `predicate(r, g, b)`.
    public static func count(_ rgb: [UInt8], where predicate: (Int, Int, Int) -> Bool) -> Int {
        var n = 0
        var i = 0
        while i + 2 < rgb.count {
            if predicate(Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2])) { n += 1 }
            i += 3
        }
        return n
    }

    /// Mean absolute difference per byte of two equally sized frames.
    public static func meanAbsoluteError(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count, "frames differ in size")
        var total = 0
        for i in 0..<a.count { total += abs(Int(a[i]) - Int(b[i])) }
        return Double(total) / Double(max(a.count, 1))
    }
}

extension FrameColor {
    /// Connected regions (4-neighbour) of at least `minimumArea` pixels satisfying `predicate(r, g, b)` in
    /// an interleaved RGB frame of `width` x `height`: how many objects of a colour the frame shows.
    public static func regions(
        _ rgb: [UInt8], width: Int, height: Int, minimumArea: Int, where predicate: (Int, Int, Int) -> Bool
    ) -> [Int] {
        var inside = [Bool](repeating: false, count: width * height)
        for p in 0..<(width * height) { inside[p] = predicate(Int(rgb[3 * p]), Int(rgb[3 * p + 1]), Int(rgb[3 * p + 2])) }
        var seen = [Bool](repeating: false, count: width * height)
        var areas: [Int] = []
        for start in 0..<(width * height) where inside[start] && !seen[start] {
            var stack = [start]
            seen[start] = true
            var area = 0
            while let p = stack.popLast() {
                area += 1
                let (x, y) = (p % width, p / width)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < width && ny < height {
                    let q = ny * width + nx
                    if inside[q] && !seen[q] {
                        seen[q] = true
                        stack.append(q)
                    }
                }
            }
            if area >= minimumArea { areas.append(area) }
        }
        return areas
    }
}
