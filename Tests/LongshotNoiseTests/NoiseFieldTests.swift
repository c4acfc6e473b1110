import Foundation
import Testing

@testable import LongshotNoise

@Suite("NoiseField")
struct NoiseFieldTests {
    let shape = (channels: 3, height: 6, width: 10)

    func whole(_ field: NoiseField, frames: Int) -> [Float] {
        field.slice(firstFrame: 0, frames: frames, channels: shape.channels, height: shape.height, width: shape.width)
    }

    @Test("a window's slice is bit for bit the same region of the whole tensor", arguments: [(0, 5), (3, 7), (11, 9), (19, 1)])
    func sliceMatchesWhole(first: Int, count: Int) {
        let field = NoiseField(seed: 0xDEAD_BEEF_1234)
        let all = whole(field, frames: 20)
        let slice = field.slice(firstFrame: first, frames: count, channels: shape.channels, height: shape.height, width: shape.width)
        let n = shape.channels * shape.height * shape.width
        let region = Array(all[(first * n)..<((first + count) * n)])
        #expect(slice.map(\.bitPattern) == region.map(\.bitPattern))
    }

    @Test("fill into a buffer equals slice, and single samples agree with both")
    func fillAndSample() {
        let field = NoiseField(seed: 7, stream: 2)
        let n = 4 * shape.channels * shape.height * shape.width
        var buffer = [Float](repeating: .nan, count: n)
        buffer.withUnsafeMutableBufferPointer {
            field.fill($0, firstFrame: 5, frames: 4, channels: shape.channels, height: shape.height, width: shape.width)
        }
        let slice = field.slice(firstFrame: 5, frames: 4, channels: shape.channels, height: shape.height, width: shape.width)
        #expect(buffer.map(\.bitPattern) == slice.map(\.bitPattern))
        // Element (frame 6, channel 2, y 4, x 9): local frame 1.
        let index = ((1 * shape.channels + 2) * shape.height + 4) * shape.width + 9
        #expect(slice[index].bitPattern == field.sample(frame: 6, channel: 2, y: 4, x: 9).bitPattern)
    }

    @Test("samples are standard normal: mean ~0, variance ~1, light tails")
    func moments() {
        let field = NoiseField(seed: 2024)
        let samples = field.slice(firstFrame: 0, frames: 40, channels: 4, height: 25, width: 25)  // 100,000
        let n = Double(samples.count)
        let mean = samples.reduce(0.0) { $0 + Double($1) } / n
        let variance = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        let skew = samples.reduce(0.0) { $0 + pow(Double($1) - mean, 3) } / n
        let kurtosis = samples.reduce(0.0) { $0 + pow(Double($1) - mean, 4) } / n
        // Standard errors at n = 1e5: mean 0.003, variance 0.0045, skew 0.008, kurtosis 0.03.
        #expect(abs(mean) < 0.015, "mean \(mean)")
        #expect(abs(variance - 1) < 0.025, "variance \(variance)")
        #expect(abs(skew) < 0.04, "skew \(skew)")
        #expect(abs(kurtosis - 3) < 0.15, "fourth moment \(kurtosis)")
        let beyond2 = Double(samples.filter { abs($0) > 2 }.count) / n
        #expect(abs(beyond2 - 0.0455) < 0.004, "P(|z| > 2) = \(beyond2)")
        #expect(samples.allSatisfy { $0.isFinite })
    }

    @Test("neighbouring coordinates are uncorrelated")
    func correlation() {
        let field = NoiseField(seed: 5)
        var sum = 0.0
        let n = 50_000
        for i in 0..<n {
            sum += Double(field.sample(frame: i / 100, channel: 0, y: 0, x: i % 100))
                * Double(field.sample(frame: i / 100, channel: 0, y: 0, x: i % 100 + 1))
        }
        #expect(abs(sum / Double(n)) < 0.02)
    }

    @Test("different seeds and streams give different noise; the same seed repeats")
    func seeds() {
        let a = whole(NoiseField(seed: 1), frames: 2)
        let b = whole(NoiseField(seed: 2), frames: 2)
        let c = whole(NoiseField(seed: 1, stream: 1), frames: 2)
        #expect(a.map(\.bitPattern) == whole(NoiseField(seed: 1), frames: 2).map(\.bitPattern))
        let differingB = zip(a, b).filter { $0 != $1 }.count
        let differingC = zip(a, c).filter { $0 != $1 }.count
        #expect(differingB > a.count * 99 / 100)
        #expect(differingC > a.count * 99 / 100)
        // Seeds that differ only in the high word differ too.
        let high = whole(NoiseField(seed: 1 | (1 << 32)), frames: 2)
        #expect(zip(a, high).filter { $0 != $1 }.count > a.count * 99 / 100)
    }

    @Test("Box-Muller maps the extreme words to finite values")
    func boxMullerEdges() {
        for (a, b) in [(UInt32(0), UInt32(0)), (.max, .max), (0, .max), (.max, 0)] {
            #expect(NoiseField.boxMuller(a, b).isFinite)
        }
        #expect(NoiseField.boxMuller(.max, 0) == 0 || abs(NoiseField.boxMuller(.max, 0)) < 1e-4)
    }
}
