import Foundation
import COpenBLAS

/// Matrix products through OpenBLAS's `cblas_sgemm`, row-major.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C` on row-major matrices with explicit leading dimensions.
    ///
    /// - Parameters:
    ///   - transposeA: use `Aᵀ`; `A` is then stored `k x m`.
    ///   - transposeB: use `Bᵀ`; `B` is then stored `n x k`.
    ///   - m: rows of `op(A)` and `C`. - n: columns of `op(B)` and `C`. - k: the shared dimension.
    ///   - lda, ldb, ldc: row strides (in scalars) of the stored matrices, which lets a caller work on a
    ///     column slice (one attention head) without copying it.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        // OpenBLAS 0.3.21's thread pool, shared by concurrent multi-threaded callers, made results depend
        // on scheduling (windows rendered in parallel differed from run to run): with more than one BLAS
        // thread, one sgemm runs at a time (it uses every core anyway); with one, callers run side by side.
        let exclusive = threadCount > 1
        if exclusive { gate.lock() }
        defer { if exclusive { gate.unlock() } }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Serialises multi-threaded sgemm calls (see `gemm`).
    @usableFromInline static let gate = NSLock()

    /// A linear layer in PyTorch's convention: `output[r] = input[r] · weightᵀ + bias` for `rows` rows.
    ///
    /// - Parameters:
    ///   - input: `rows x inFeatures`, row stride `inputStride` (defaults to `inFeatures`).
    ///   - weight: `outFeatures x inFeatures` (PyTorch's `nn.Linear.weight` layout).
    ///   - bias: `outFeatures` scalars or `nil`.
    ///   - output: `rows x outFeatures`, row stride `outputStride` (defaults to `outFeatures`).
    ///   - accumulate: add to `output` instead of overwriting it (a fused residual connection).
    @inlinable
    public static func linear(
        rows: Int, inFeatures: Int, outFeatures: Int,
        input: UnsafePointer<Float>, inputStride: Int? = nil,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, outputStride: Int? = nil, accumulate: Bool = false
    ) {
        let ldc = outputStride ?? outFeatures
        var beta: Float = accumulate ? 1 : 0
        if let bias {
            for r in 0..<rows {
                let row = output + r * ldc
                if accumulate {
                    for j in 0..<outFeatures { row[j] += bias[j] }
                } else {
                    row.update(from: bias, count: outFeatures)
                }
            }
            beta = 1
        }
        gemm(
            transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: input, lda: inputStride ?? inFeatures,
            b: weight, ldb: inFeatures, beta: beta, c: output, ldc: ldc)
    }

    /// Sets the number of threads OpenBLAS uses from now on (`OPENBLAS_NUM_THREADS` sets the default).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads OpenBLAS uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}

extension Tensor {
    /// The matrix product `op(a) · op(b)` of two rank-2 tensors.
    /// - Precondition: both are rank 2 and their shared dimensions agree.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul takes rank-2 tensors, got \(a.shape) and \(b.shape)")
        let (m, ka) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(ka == kb, "matmul: inner dimensions differ (\(a.shape) x \(b.shape))")
        var c = Tensor(shape: [m, n])
        if a.count == 0 || b.count == 0 { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka,
                        a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                        c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }
}
