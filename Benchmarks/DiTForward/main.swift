// One DiT forward pass (text projection included) on a model folder and an input file written by
// ops/dit/benchmark.py: prints one JSON line with the median wall time and writes the velocity for the
// parity check, and the least process CPU time (all threads) of one run. Thread count: LONGSHOT_THREADS. Results: Benchmarks/DiTForward.md.
//
//   LongshotDiTBenchmark MODEL_DIR INPUTS.safetensors OUTPUT.safetensors [REPEATS]
import Foundation
import LongshotDiT
import LongshotTensor

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: LongshotDiTBenchmark MODEL_DIR INPUTS.safetensors OUTPUT.safetensors [REPEATS]\n".utf8))
    exit(2)
}
let repeats = arguments.count > 4 ? Int(arguments[4]) ?? 5 : 5
do {
    let model = try DiTModel(directory: arguments[1])
    let inputs = try SafetensorsFile(path: arguments[2])
    let latents = try inputs.tensor("latents")
    let text = try inputs.tensor("text")
    let t = try inputs.tensor("t").scalars[0]
    let (frames, height, width) = (latents.shape[0], latents.shape[2], latents.shape[3])
    func run() throws -> [Float] {
        try model.velocity(latents.scalars, frames: frames, height: height, width: width, t: t, text: model.textContext(text))
    }
    var velocity = try run()  // warm-up
    func processCPUTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    var times: [Double] = [], cpuTimes: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUTime()
        velocity = try run()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpuTimes.append(processCPUTime() - cpuStart)
    }
    try SafetensorsWriter.write([.init(name: "velocity", tensor: Tensor(shape: latents.shape, scalars: velocity))], to: arguments[3])
    let median = times.sorted()[times.count / 2]
    print("{\"median_s\": \(median), \"min_s\": \(times.min()!), \"min_cpu_s\": \(cpuTimes.min()!), \"threads\": \(ComputeThreads.count)}")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
