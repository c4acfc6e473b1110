import Foundation
import Synchronization
import Testing

@testable import LongshotDiffusion

/// A model that knows the clean data: the exact rectified-flow velocity v = (x - x0) / t.
struct ExactVelocityModel: WindowModel {
    let target: [Float]
    let calls = CallCounter()

    func velocity(_ latents: [Float], t: Float) throws -> [Float] {
        calls.increment()
        return zip(latents, target).map { ($0 - $1) / t }
    }
}

/// Counts calls from any thread.
final class CallCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

struct FailingModel: WindowModel {
    struct Failure: Error {}
    func velocity(_ latents: [Float], t: Float) throws -> [Float] { throw Failure() }
}

@Suite("FlowSchedule and Euler sampling")
struct SamplerTests {
    @Test("times start at 1, end at 0 and decrease strictly", arguments: [1, 2, 8, 24, 100], [1.0, 3.0, 0.5, 7.0])
    func times(steps: Int, shift: Double) {
        let s = FlowSchedule(steps: steps, shift: shift)
        #expect(s.times.count == steps + 1)
        #expect(s.times.first == 1)
        #expect(s.times.last == 0)
        for i in 0..<steps {
            #expect(s.times[i + 1] < s.times[i])
            #expect(s.time(ofStep: i) == s.times[i])
            #expect(s.delta(ofStep: i) == s.times[i + 1] - s.times[i])
            #expect(s.delta(ofStep: i) < 0)
        }
        #expect(abs(s.times.indices.dropLast().map { s.delta(ofStep: $0) }.reduce(0, +) + 1) < 1e-5)
    }

    @Test("shift 1 is a uniform grid; shift > 1 moves every interior time up")
    func shift() {
        let uniform = FlowSchedule(steps: 10, shift: 1)
        for (i, t) in uniform.times.enumerated() { #expect(abs(t - (1 - Float(i) / 10)) < 1e-6) }
        let shifted = FlowSchedule(steps: 10, shift: 3)
        let more = FlowSchedule(steps: 10, shift: 6)
        for i in 1..<10 {
            #expect(shifted.times[i] > uniform.times[i])
            #expect(more.times[i] > shifted.times[i])
        }
        // SD3's shift: t' = s t / (1 + (s - 1) t); at t = 1/2 and s = 3 that is 3/4.
        let half = FlowSchedule(steps: 2, shift: 3)
        #expect(abs(half.times[1] - 0.75) < 1e-6)
    }

    @Test("an exact-velocity model lands on its x0", arguments: [1, 3, 8, 30], [1.0, 3.0])
    func exactModelLands(steps: Int, shift: Double) throws {
        let count = 257
        let x0 = (0..<count).map { Float(sin(Double($0) * 0.37)) * 0.9 }
        let noise = (0..<count).map { Float(cos(Double($0) * 1.31 + 0.2)) * 1.5 }
        let model = ExactVelocityModel(target: x0)
        var stepsSeen: [Int] = []
        let result = try sampleWindow(model, initial: noise, schedule: FlowSchedule(steps: steps, shift: shift)) {
            stepsSeen.append($0)
        }
        let worst = zip(result, x0).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "max error \(worst)")
        #expect(model.calls.value == steps)
        #expect(stepsSeen == Array(1...steps))
    }

    @Test("the path from noise follows x_t = (1 - t) x0 + t noise at every step")
    func straightPath() {
        let x0: [Float] = [0.5, -0.25, 1, 0]
        let noise: [Float] = [-1, 2, 0.5, 0.3]
        let model = ExactVelocityModel(target: x0)
        let s = FlowSchedule(steps: 6, shift: 2)
        var x = noise
        for i in 0..<s.steps {
            eulerStep(&x, velocity: try! model.velocity(x, t: s.time(ofStep: i)), dt: s.delta(ofStep: i))
            let t = s.times[i + 1]
            for j in x.indices { #expect(abs(x[j] - ((1 - t) * x0[j] + t * noise[j])) < 1e-5) }
        }
    }

    @Test("eulerStep adds dt times the velocity")
    func euler() {
        var x: [Float] = [1, 2, 3]
        eulerStep(&x, velocity: [10, -10, 0.5], dt: -0.1)
        let expected: [Float] = [0, 3, 2.95]
        #expect(zip(x, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(x)")
    }

    @Test("a model's error stops the sampler")
    func failure() {
        #expect(throws: FailingModel.Failure.self) {
            try sampleWindow(FailingModel(), initial: [0, 1], schedule: FlowSchedule(steps: 3))
        }
    }
}
