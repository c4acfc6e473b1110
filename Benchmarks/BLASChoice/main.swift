// Times `cblas_sgemm` from one BLAS library, loaded at run time, on the matrix products of one DiT forward
// pass (the window of Benchmarks/DiTForward.md), so BLAS libraries are chosen by measurement. Prints one
// JSON line: GFLOP/s per shape and the seconds the whole set of products takes. Thread count: the
// library's own variable (OPENBLAS_NUM_THREADS, BLIS_NUM_THREADS, MKL_NUM_THREADS, OMP_NUM_THREADS).
// Runner and results: Benchmarks/blas/.
//
//   LongshotBLASBenchmark LIBRARY.so [SECONDS_PER_SHAPE [MxNxK[t] ...]] [--copies N]
//
// Extra shapes (`t`: B transposed) replace the DiT's set, to explore block sizes. `--copies N` runs N copies
// of each product at once on N threads, each on its own matrices (Longshot's way: row chunks and attention
// tasks on its own threads, the library single-threaded inside each); GFLOP/s then count all copies.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

typealias SGEMM = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
    UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
) -> Void

/// One matrix product of the forward pass: `C[m x n] = A[m x k] · op(B)`, and how often a forward runs it.
struct Shape: Sendable {
    let name: String
    let m, n, k: Int
    let transposeB: Bool
    let perForward: Int
    var flop: Double { 2 * Double(m * n * k) }
}

// 1,024 tokens, width 256, 8 blocks, 4 heads of 64, MLP 1,024, 32 text tokens; attention in query blocks
// of 256 rows (4 per head). Weights are PyTorch's out x in, hence `transposeB`.
let defaultShapes = [
    Shape(name: "qkv", m: 1024, n: 768, k: 256, transposeB: true, perForward: 8),
    Shape(name: "proj", m: 1024, n: 256, k: 256, transposeB: true, perForward: 24),
    Shape(name: "fc1", m: 1024, n: 1024, k: 256, transposeB: true, perForward: 8),
    Shape(name: "fc2", m: 1024, n: 256, k: 1024, transposeB: true, perForward: 8),
    Shape(name: "scores", m: 256, n: 1024, k: 64, transposeB: true, perForward: 128),
    Shape(name: "values", m: 256, n: 64, k: 1024, transposeB: false, perForward: 128),
]

var arguments = CommandLine.arguments
var copies = 1
if let flag = arguments.firstIndex(of: "--copies"), flag + 1 < arguments.count, let n = Int(arguments[flag + 1]), n > 0 {
    copies = n
    arguments.removeSubrange(flag...flag + 1)
}
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: LongshotBLASBenchmark LIBRARY.so [SECONDS_PER_SHAPE [MxNxK[t] ...]]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
let extraShapes = arguments.dropFirst(3).map { text -> Shape in
    let transposed = text.hasSuffix("t")
    let sizes = text.dropLast(transposed ? 1 : 0).split(separator: "x").compactMap { Int($0) }
    guard sizes.count == 3, sizes.allSatisfy({ $0 > 0 }) else {
        FileHandle.standardError.write(Data("error: shape \(text) is not MxNxK or MxNxKt\n".utf8))
        exit(2)
    }
    return Shape(name: text, m: sizes[0], n: sizes[1], k: sizes[2], transposeB: transposed, perForward: 1)
}
let shapes = extraShapes.isEmpty ? defaultShapes : extraShapes
guard let library = dlopen(arguments[1], RTLD_NOW | RTLD_LOCAL) else {
    FileHandle.standardError.write(Data("error: cannot load \(arguments[1]): \(String(cString: dlerror()))\n".utf8))
    exit(1)
}
guard let symbol = dlsym(library, "cblas_sgemm") else {
    FileHandle.standardError.write(Data("error: \(arguments[1]) has no cblas_sgemm\n".utf8))
    exit(1)
}
let sgemm = unsafeBitCast(symbol, to: SGEMM.self)

nonisolated func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

var perShape: [String] = []
var forwardSeconds = 0.0
/// One copy's matrices.
final class Operands: @unchecked Sendable {
    let a: [Float], b: [Float]
    var c: [Float]
    init(_ shape: Shape) {
        var generator = SystemRandomNumberGenerator()
        a = (0..<shape.m * shape.k).map { _ in Float.random(in: -1...1, using: &generator) }
        b = (0..<shape.k * shape.n).map { _ in Float.random(in: -1...1, using: &generator) }
        c = [Float](repeating: 0, count: shape.m * shape.n)
    }
}

/// The best seconds per product of `shape`, `copies` at a time.
nonisolated func measure(_ shape: Shape, copies: Int, seconds: Double, sgemm: SGEMM) -> Double {
    let operands = (0..<copies).map { _ in Operands(shape) }
    let ldb = shape.transposeB ? shape.k : shape.n
    @Sendable func once(_ o: Operands) {
        o.a.withUnsafeBufferPointer { pa in
            o.b.withUnsafeBufferPointer { pb in
                o.c.withUnsafeMutableBufferPointer { pc in
                    sgemm(101, 111, shape.transposeB ? 112 : 111, Int32(shape.m), Int32(shape.n), Int32(shape.k), 1,
                          pa.baseAddress, Int32(shape.k), pb.baseAddress, Int32(ldb), 0, pc.baseAddress, Int32(shape.n))
                }
            }
        }
    }
    let batch = max(1, Int(0.05 / max(shape.flop / 50e9, 1e-6)))
    func runBatch() {
        if copies == 1 {
            for _ in 0..<batch { once(operands[0]) }
        } else {
            DispatchQueue.concurrentPerform(iterations: copies) { i in
                for _ in 0..<batch { once(operands[i]) }
            }
        }
    }
    runBatch()
    // Batches of calls; the best batch's mean stands for the shape (the least disturbed by other load).
    var best = Double.infinity
    let deadline = now() + seconds
    repeat {
        let start = now()
        runBatch()
        best = min(best, (now() - start) / Double(batch * copies))
    } while now() < deadline
    return best
}

for shape in shapes {
    let best = measure(shape, copies: copies, seconds: seconds, sgemm: sgemm)
    forwardSeconds += best * Double(shape.perForward)
    perShape.append("\"\(shape.name)\": \(String(format: "%.1f", shape.flop / best / 1e9))")
}
let total = shapes.reduce(0) { $0 + $1.flop * Double($1.perForward) }
print("{\"library\": \"\(arguments[1])\", \"gflops\": {\(perShape.joined(separator: ", "))}, "
    + "\"forward_gemm_s\": \(String(format: "%.4f", forwardSeconds)), \"forward_gflops\": \(String(format: "%.1f", total / forwardSeconds / 1e9))}")
