#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reusable scratch memory for ``Attention/scaledDotProduct(query:queryStride:key:keyStride:value:valueStride:output:outputStride:queries:keys:heads:headDim:keyBias:scale:workspace:)``.
///
/// One workspace serves any number of calls with the same block sizes; it grows on first use and is
/// then reused, so a forward pass allocates nothing per layer. Not shared between threads.
public struct AttentionWorkspace: Sendable {
    /// Queries processed together: the rows of one score block.
    public let queryBlock: Int
    /// Keys processed together: the columns of one score block.
    public let keyBlock: Int
    @usableFromInline var buffer: [Float] = []

    /// A workspace for score blocks of `queryBlock x keyBlock`; memory is
    /// `queryBlock * (keyBlock + 2)` scalars whatever the sequence lengths.
    public init(queryBlock: Int = 128, keyBlock: Int = 512) {
        precondition(queryBlock > 0 && keyBlock > 0, "attention blocks must be positive")
        self.queryBlock = queryBlock
        self.keyBlock = keyBlock
    }
}

/// One key block of the online softmax for score rows `rows`: adds the key bias, raises each row's running
/// maximum, replaces the scores by their exponentials and rescales the row's sum and (when `output` is
/// given) its accumulated output to the new maximum.
@inline(__always)
private func onlineSoftmaxStep(
    rows: Range<Int>, scores: UnsafeMutablePointer<Float>, scoreStride: Int, keys: Int,
    keyBias: UnsafePointer<Float>?, rowMax: UnsafeMutablePointer<Float>, rowSum: UnsafeMutablePointer<Float>,
    output: UnsafeMutablePointer<Float>?, outputStride: Int, headDim: Int
) {
    for i in rows {
        let row = scores + i * scoreStride
        if let keyBias {
            for j in 0..<keys { row[j] += keyBias[j] }
        }
        let newMax = max(rowMax[i], VectorMath.maximum(row, count: keys))
        if newMax == -.infinity {  // everything so far masked: contribute nothing
            row.update(repeating: 0, count: keys)
            continue
        }
        let sum = VectorMath.exponentiate(row, count: keys, subtracting: newMax)
        let correction = expf(rowMax[i] - newMax)
        rowSum[i] = rowSum[i] * correction + sum
        rowMax[i] = newMax
        if let output, correction != 1 {
            let o = output + i * outputStride
            for d in 0..<headDim { o[d] *= correction }
        }
    }
}

/// Scaled-dot-product attention.
public enum Attention {
    /// Multi-head scaled-dot-product attention, `softmax(scale · Q Kᵀ + bias) V`, blocked over queries and keys
    /// with an online softmax so memory stays `queryBlock x keyBlock` however long the sequences are.
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
        let needed = bq * bk + 2 * bq
        if workspace.buffer.count < needed { workspace.buffer = [Float](repeating: 0, count: needed) }
        workspace.buffer.withUnsafeMutableBufferPointer { scratch in
            let scores = scratch.baseAddress!
            let rowMax = scores + bq * bk
            let rowSum = rowMax + bq
            for h in 0..<heads {
                let column = h * headDim
                for q0 in stride(from: 0, to: queries, by: bq) {
                    let nq = min(bq, queries - q0)
                    let qBlock = query + q0 * queryStride + column
                    let oBlock = output + q0 * outputStride + column
                    for i in 0..<nq {
                        rowMax[i] = -.infinity
                        rowSum[i] = 0
                    }
                    for k0 in stride(from: 0, to: keys, by: bk) {
                        let nk = min(bk, keys - k0)
                        let first = k0 == 0
                        BLAS.gemm(
                            transposeB: true, m: nq, n: nk, k: headDim, alpha: scale,
                            a: qBlock, lda: queryStride, b: key + k0 * keyStride + column, ldb: keyStride,
                            c: scores, ldc: bk)
                        ParallelRows.forEach(nq, minimumChunk: 32) { rows in
                            onlineSoftmaxStep(
                                rows: rows, scores: scores, scoreStride: bk, keys: nk,
                                keyBias: keyBias.map { $0 + k0 }, rowMax: rowMax, rowSum: rowSum,
                                output: first ? nil : oBlock, outputStride: outputStride, headDim: headDim)
                        }
                        BLAS.gemm(
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
}

extension Tensor {
    /// Multi-head attention on rank-2 tensors of `tokens x (heads * headDim)`; see
    /// ``Attention/scaledDotProduct(query:queryStride:key:keyStride:value:valueStride:output:outputStride:queries:keys:heads:headDim:keyBias:scale:workspace:)``.
    ///
    /// - Parameters:
    ///   - keyMask: `true` for keys to attend to, one per key, or `nil` for all.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, keyMask: [Bool]? = nil, scale: Float? = nil,
        queryBlock: Int = 128, keyBlock: Int = 512
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
