import CLongshotKernels

/// Reusable scratch memory for ``Attention/scaledDotProduct(query:queryStride:key:keyStride:value:valueStride:output:outputStride:queries:keys:heads:headDim:keyBias:scale:workspace:)``.
///
/// One workspace serves any number of calls with the same block sizes; it grows on first use and is
/// then reused, so a forward pass allocates nothing per layer. Not shared between threads.
public struct AttentionWorkspace: Sendable {
    /// Queries processed together: the rows of one score block, and of one parallel task.
    public let queryBlock: Int
    /// Keys processed together: the columns of one score block.
    public let keyBlock: Int
    @usableFromInline var buffer: [Float] = []

    /// A workspace for score blocks of `queryBlock x keyBlock`; memory is
    /// `queryBlock * (keyBlock + 2)` scalars per compute thread, whatever the sequence lengths.
    public init(queryBlock: Int = 128, keyBlock: Int = 1024) {
        precondition(queryBlock > 0 && keyBlock > 0, "attention blocks must be positive")
        self.queryBlock = queryBlock
        self.keyBlock = keyBlock
    }
}

/// Scaled-dot-product attention.
public enum Attention {
    /// Multi-head scaled-dot-product attention, `softmax(scale · Q Kᵀ + bias) V`, blocked over queries and keys
    /// with an online softmax so memory stays `queryBlock x keyBlock` per thread however long the sequences are.
    /// Every (head, query block) pair is one task on ``ComputeThreads``; its score block stays in the cache
    /// between the two products.
    ///
    /// Each tensor is a matrix of rows (tokens) whose head `h` occupies columns `h*headDim ..< (h+1)*headDim`,
    /// the layout a fused QKV projection produces; the strides let the caller pass column slices of one buffer.
    ///
    /// - Parameters:
    ///   - query: `queries` rows, row stride `queryStride`.
    ///   - key, value: `keys` rows each, row strides `keyStride`, `valueStride`.
    ///   - output: `queries` rows, row stride `outputStride`; overwritten (must not alias the inputs).
    ///   - keyBias: `keys` additive scalars applied to every query's scores (0 to keep a key, `-infinity`
    ///     to mask it, as a padding mask), or `nil`. A query whose keys are all masked gets zeros.
    ///   - scale: the score scale; defaults to `1 / sqrt(headDim)`.
    ///   - workspace: scratch memory reused between calls.
    public static func scaledDotProduct(
        query: UnsafePointer<Float>, queryStride: Int,
        key: UnsafePointer<Float>, keyStride: Int,
        value: UnsafePointer<Float>, valueStride: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        queries: Int, keys: Int, heads: Int, headDim: Int,
        keyBias: UnsafePointer<Float>? = nil, scale: Float? = nil,
        workspace: inout AttentionWorkspace
    ) {
        let bq = workspace.queryBlock, bk = workspace.keyBlock
        let scale = scale ?? 1 / Float(headDim).squareRoot()
        let queryBlocks = (queries + bq - 1) / bq
        let tasks = heads * queryBlocks
        let workers = max(1, min(ComputeThreads.count, tasks))
        let perWorker = bq * bk + 2 * bq
        if workspace.buffer.count < workers * perWorker {
            workspace.buffer = [Float](repeating: 0, count: workers * perWorker)
        }
        workspace.buffer.withUnsafeMutableBufferPointer { scratch in
            let base = scratch.baseAddress!
            ComputeThreads.forEachTask(tasks, workers: workers) { task, worker in
                let scores = base + worker * perWorker
                let rowMax = scores + bq * bk, rowSum = rowMax + bq
                let h = task / queryBlocks, q0 = (task % queryBlocks) * bq
                let column = h * headDim, nq = min(bq, queries - q0)
                let qBlock = query + q0 * queryStride + column
                let oBlock = output + q0 * outputStride + column
                rowMax.update(repeating: -.infinity, count: nq)
                rowSum.update(repeating: 0, count: nq)
                for k0 in stride(from: 0, to: keys, by: bk) {
                    let nk = min(bk, keys - k0)
                    let first = k0 == 0
                    BLAS.serialGemm(
                        transposeB: true, m: nq, n: nk, k: headDim, alpha: scale,
                        a: qBlock, lda: queryStride, b: key + k0 * keyStride + column, ldb: keyStride,
                        c: scores, ldc: bk)
                    lk_online_softmax(
                        scores, bk, nq, nk, keyBias.map { $0 + k0 }, rowMax, rowSum,
                        first ? nil : oBlock, outputStride, headDim)
                    BLAS.serialGemm(
                        m: nq, n: headDim, k: nk, a: scores, lda: bk,
                        b: value + k0 * valueStride + column, ldb: valueStride,
                        beta: first ? 0 : 1, c: oBlock, ldc: outputStride)
                }
                for i in 0..<nq {
                    let o = oBlock + i * outputStride
                    let inv: Float = rowSum[i] > 0 ? 1 / rowSum[i] : 0
                    for d in 0..<headDim { o[d] *= inv }
                }
            }
        }
    }
}

extension Tensor {
    /// Multi-head attention on rank-2 tensors of `tokens x (heads * headDim)`; see
    /// ``Attention/scaledDotProduct(query:queryStride:key:keyStride:value:valueStride:output:outputStride:queries:keys:heads:headDim:keyBias:scale:workspace:)``.
    ///
    /// - Parameters:
    ///   - keyMask: `true` for keys to attend to, one per key, or `nil` for all.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, keyMask: [Bool]? = nil, scale: Float? = nil,
        queryBlock: Int = 128, keyBlock: Int = 1024
    ) -> Tensor {
        precondition(query.rank == 2 && key.rank == 2 && value.rank == 2, "attention takes rank-2 tensors")
        let width = query.shape[1]
        precondition(width % heads == 0, "width \(width) is not divisible by \(heads) heads")
        precondition(key.shape == [key.shape[0], width] && value.shape == key.shape, "attention: key/value shapes \(key.shape), \(value.shape) do not fit query \(query.shape)")
        let queries = query.shape[0], keys = key.shape[0]
        var out = Tensor(shape: [queries, width])
        if queries == 0 || width == 0 { return out }
        if keys == 0 { return out }
        let bias = keyMask.map { mask -> [Float] in
            precondition(mask.count == keys, "key mask has \(mask.count) entries for \(keys) keys")
            return mask.map { $0 ? 0 : -Float.infinity }
        }
        var workspace = AttentionWorkspace(queryBlock: queryBlock, keyBlock: keyBlock)
        let biasScalars = bias ?? []
        query.withUnsafeBufferPointer { q in
            key.withUnsafeBufferPointer { k in
                value.withUnsafeBufferPointer { v in
                    biasScalars.withUnsafeBufferPointer { b in
                        out.withUnsafeMutableBufferPointer { o in
                            Attention.scaledDotProduct(
                                query: q.baseAddress!, queryStride: width, key: k.baseAddress!, keyStride: width,
                                value: v.baseAddress!, valueStride: width, output: o.baseAddress!, outputStride: width,
                                queries: queries, keys: keys, heads: heads, headDim: width / heads,
                                keyBias: bias == nil ? nil : b.baseAddress, scale: scale, workspace: &workspace)
                        }
                    }
                }
            }
        }
        return out
    }
}
