import COpenBLAS

/// Matrix products through OpenBLAS's `cblas_sgemm`, row-major.
///
/// OpenBLAS runs single-threaded; a product of more than ``rowChunk`` rows is cut into chunks of that many
/// rows, spread over ``ComputeThreads``. The cut depends on the shape only, so results are bit-identical
/// for any thread count, and concurrent callers never share OpenBLAS's thread pool (which made results
/// depend on scheduling with OpenBLAS 0.3.21).
public enum BLAS {
    /// The rows of one chunk of a matrix product: large enough that repacking `B` per chunk costs under
    /// 1%, small enough that 1,024 tokens make 8 tasks (Benchmarks/blas).
    public static let rowChunk = 128

    /// Products of fewer multiply-adds than this run their chunks on the caller's thread.
    @usableFromInline static let parallelWork = 1 << 20

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
        ComputeThreads.forEachRowChunk(m, chunk: rowChunk, parallel: m * n * k >= parallelWork) { rows in
            let first = rows.lowerBound
            serialGemm(
                transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                a: a + (transposeA ? first : first * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                c: c + first * ldc, ldc: ldc)
        }
    }

    /// One `cblas_sgemm` call on the calling thread, with no chunking: for callers that already run in
    /// parallel tasks (attention heads).
    @inlinable
    public static func serialGemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        precondition(openBLASIsSingleThreaded)
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// OpenBLAS set to one thread, once, before the first product.
    @usableFromInline static let openBLASIsSingleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// A linear layer in PyTorch's convention: `output[r] = input[r] · weightᵀ + bias` for `rows` rows.
    ///
    /// - Parameters:
    ///   - input: `rows x inFeatures`, row stride `inputStride` (defaults to `inFeatures`).
    ///   - weight: `outFeatures x inFeatures` (PyTorch's `nn.Linear.weight` layout).
    ///   - bias: `outFeatures` scalars or `nil`.
    ///   - output: `rows x outFeatures`, row stride `outputStride` (defaults to `outFeatures`).
    ///   - accumulate: add to `output` instead of overwriting it (a fused residual connection).
    ///   - epilogue: called with each chunk's first output row and row count right after its product, on
    ///     the same thread, while the rows are still in the cache (a fused activation).
    @inlinable
    public static func linear(
        rows: Int, inFeatures: Int, outFeatures: Int,
        input: UnsafePointer<Float>, inputStride: Int? = nil,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, outputStride: Int? = nil, accumulate: Bool = false,
        epilogue: ((_ rows: UnsafeMutablePointer<Float>, _ count: Int) -> Void)? = nil
    ) {
        let ldc = outputStride ?? outFeatures, lda = inputStride ?? inFeatures
        // Chunk by chunk, the bias lands in the output rows just before the product reads them back.
        ComputeThreads.forEachRowChunk(rows, chunk: rowChunk, parallel: rows * outFeatures * inFeatures >= parallelWork) { chunk in
            let first = chunk.lowerBound, count = chunk.count
            let out = output + first * ldc
            if let bias {
                for r in 0..<count {
                    let row = out + r * ldc
                    if accumulate {
                        for j in 0..<outFeatures { row[j] += bias[j] }
                    } else {
                        row.update(from: bias, count: outFeatures)
                    }
                }
            }
            serialGemm(
                transposeB: true, m: count, n: outFeatures, k: inFeatures, a: input + first * lda, lda: lda,
                b: weight, ldb: inFeatures, beta: accumulate || bias != nil ? 1 : 0, c: out, ldc: ldc)
            epilogue?(out, count)
        }
    }
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
