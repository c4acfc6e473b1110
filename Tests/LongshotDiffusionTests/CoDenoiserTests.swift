import LongshotNoise
import Synchronization
import LongshotPlanning
import Testing

@testable import LongshotDiffusion
@testable import LongshotProcedural

/// A small procedural job: about 2.7 s at 12 fps, 48x32 pixels (latents 12x8, 16 latent frames).
struct ProceduralFixture {
    let engine = ProceduralEngine()
    let layout: LatentLayout
    let frames = 16
    let fps = 12.0
    let seed: UInt64
    let prompt: String

    init(seed: UInt64 = 11, prompt: String = "a red ball bouncing and a green square moving left on a blue background") {
        self.seed = seed
        self.prompt = prompt
        layout = ProceduralEngine().layout(width: 48, height: 32)
    }

    func request(_ window: Window) -> WindowRequest {
        let times = window.frames.map { Double($0 * layout.temporalFactor) / fps }
        return WindowRequest(
            firstFrame: window.start, frames: window.count, layout: layout,
            conditioning: WindowConditioning(
                shots: [Shot(start: 0, end: Double(frames * layout.temporalFactor) / fps, prompt: prompt)],
                shotWeights: window.frames.map { _ in [1] }, times: times),
            seed: seed, fps: fps)
    }

    func models(_ plan: WindowPlan) throws -> [any WindowModel] {
        try plan.windows.map { try engine.prepare(window: request($0)) }
    }

    var noise: [Float] {
        NoiseField(seed: seed).slice(firstFrame: 0, frames: frames, channels: layout.channels, height: layout.height, width: layout.width)
    }

    func codenoise(window: Int = 8, overlap: Int = 4, steps: Int = 6) throws -> [Float] {
        let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
        let denoiser = CoDenoiser(fuser: LatentFuser(plan: plan, layout: layout), schedule: FlowSchedule(steps: steps))
        return try denoiser.run(initial: noise, models: try models(plan))
    }

    func independent(window: Int = 8, overlap: Int = 4, steps: Int = 6) throws -> [Float] {
        let plan = try WindowPlan(frames: frames, window: window, overlap: overlap)
        let fuser = LatentFuser(plan: plan, layout: layout)
        let models = try models(plan)
        let results = try plan.windows.map { w in
            try sampleWindow(models[w.index], initial: fuser.slice(noise, window: w.index), schedule: FlowSchedule(steps: steps))
        }
        return fuser.fuse(results)
    }

    /// The variants' renders of the whole job, in latent units.
    func renders() throws -> [[Float]] {
        let whole = Window(index: 0, start: 0, end: frames)
        let model = try #require(try engine.prepare(window: request(whole)) as? ProceduralWindowModel)
        return model.renders.map { $0.map { Float($0) / 127.5 - 1 } }
    }
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
}

@Suite("CoDenoiser and fusion modes with the procedural engine")
struct CoDenoiserTests {
    @Test("codenoise is deterministic: two runs are bit-identical")
    func codenoiseDeterministic() throws {
        let fixture = ProceduralFixture()
        let a = try fixture.codenoise()
        let b = try fixture.codenoise()
        #expect(a.count == fixture.frames * fixture.layout.frameSize)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    @Test("independent mode is deterministic: two runs are bit-identical")
    func independentDeterministic() throws {
        let fixture = ProceduralFixture()
        #expect(try fixture.independent().map(\.bitPattern) == fixture.independent().map(\.bitPattern))
    }

    @Test("codenoise windows agree: the fused result matches one window covering the whole job")
    func codenoiseMatchesSingleWindow() throws {
        let fixture = ProceduralFixture()
        let windowed = try fixture.codenoise(window: 8, overlap: 4)
        let single = try fixture.codenoise(window: 64, overlap: 4)
        #expect(maxDifference(windowed, single) < 1e-3, "max difference \(maxDifference(windowed, single))")
    }

    @Test("codenoise settles the whole video on one scene variant")
    func codenoiseLandsOnAVariant() throws {
        for seed: UInt64 in [3, 11] {
            let fixture = ProceduralFixture(seed: seed)
            let result = try fixture.codenoise()
            let distances = try fixture.renders().map { maxDifference(result, $0) }
            #expect((distances.min() ?? 1) < 0.01, "seed \(seed): distances to the variants \(distances)")
        }
    }

    @Test("the model's prediction is the posterior mean: near t = 1 it is the mean of the variants")
    func posteriorMeanAtHighNoise() throws {
        let fixture = ProceduralFixture()
        let whole = Window(index: 0, start: 0, end: fixture.frames)
        let model = try fixture.engine.prepare(window: fixture.request(whole))
        let x = fixture.noise
        let t: Float = 0.999_9
        let v = try model.velocity(x, t: t)
        // v = (x - x0_hat) / t, so x0_hat = x - t v; at t ~ 1 every variant is equally likely.
        let renders = try fixture.renders()
        let mean = (0..<x.count).map { i in renders.map { $0[i] }.reduce(0, +) / Float(renders.count) }
        let predicted = zip(x, v).map { $0 - t * $1 }
        #expect(maxDifference(predicted, mean) < 0.02)
    }

    @Test("co-denoising with plain window models fuses after every step and still lands on x0")
    func genericModels() throws {
        let plan = try WindowPlan(frames: 20, window: 6, overlap: 2)
        let layout = LatentLayout(channels: 1, height: 2, width: 2, temporalFactor: 1, spatialFactor: 1)
        let fuser = LatentFuser(plan: plan, layout: layout)
        let x0 = (0..<(20 * layout.frameSize)).map { Float($0 % 7) / 7 - 0.5 }
        let models: [any WindowModel] = plan.windows.indices.map { ExactVelocityModel(target: fuser.slice(x0, window: $0)) }
        let noise = NoiseField(seed: 1).slice(firstFrame: 0, frames: 20, channels: 1, height: 2, width: 2)
        var reported: [Int] = []
        let lock = Mutex<[Int]>([])
        let result = try CoDenoiser(fuser: fuser, schedule: FlowSchedule(steps: 5)).run(initial: noise, models: models) { step in
            lock.withLock { $0.append(step) }
        }
        reported = lock.withLock { $0 }
        #expect(maxDifference(result, x0) < 1e-5)
        #expect(reported == [1, 2, 3, 4, 5])
    }

    @Test("a failing window model makes co-denoising throw")
    func failure() throws {
        let plan = try WindowPlan(frames: 10, window: 4, overlap: 1)
        let layout = LatentLayout(channels: 1, height: 1, width: 1, temporalFactor: 1, spatialFactor: 1)
        var models: [any WindowModel] = plan.windows.map { _ in ExactVelocityModel(target: [0, 0, 0, 0]) }
        models[1] = FailingModel()
        #expect(throws: FailingModel.Failure.self) {
            try CoDenoiser(fuser: LatentFuser(plan: plan, layout: layout), schedule: FlowSchedule(steps: 2))
                .run(initial: [Float](repeating: 0.5, count: 10), models: models)
        }
    }
}
