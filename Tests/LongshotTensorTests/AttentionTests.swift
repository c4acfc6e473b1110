import LongshotTensor
import Testing

@Suite struct AttentionTests {
    /// Block sizes that do and do not divide the sequence lengths, down to single rows.
    @Test(arguments: [(1, 1), (7, 5), (16, 64), (128, 512)])
    func blockedMatchesNaive(queryBlock: Int, keyBlock: Int) {
        var rng = SeededRandom(seed: 6)
        let (queries, keys, heads, d) = (45, 61, 3, 8)
        let q = rng.tensor([queries, heads * d], scale: 2), k = rng.tensor([keys, heads * d], scale: 2)
        let v = rng.tensor([keys, heads * d])
        let out = Tensor.attention(query: q, key: k, value: v, heads: heads, queryBlock: queryBlock, keyBlock: keyBlock)
        let reference = Naive.attention(q: q.scalars, k: k.scalars, v: v.scalars, queries: queries, keys: keys, heads: heads, d: d, mask: nil)
        #expect(maxRelativeError(out.scalars, reference) < 1e-4)
    }

    @Test func keyMaskExcludesKeysAcrossBlocks() {
        var rng = SeededRandom(seed: 7)
        let (queries, keys, heads, d) = (9, 20, 2, 4)
        let q = rng.tensor([queries, heads * d], scale: 3), k = rng.tensor([keys, heads * d], scale: 3)
        let v = rng.tensor([keys, heads * d])
        // The first key block (6 keys) is entirely masked: the online softmax must start from nothing.
        let mask = (0..<keys).map { $0 >= 6 && $0 % 3 != 0 }
        let out = Tensor.attention(query: q, key: k, value: v, heads: heads, keyMask: mask, queryBlock: 4, keyBlock: 6)
        let reference = Naive.attention(q: q.scalars, k: k.scalars, v: v.scalars, queries: queries, keys: keys, heads: heads, d: d, mask: mask)
        #expect(maxRelativeError(out.scalars, reference) < 1e-4)
    }

    @Test func fullyMaskedQueriesGiveZeros() {
        var rng = SeededRandom(seed: 8)
        let q = rng.tensor([3, 4]), k = rng.tensor([5, 4]), v = rng.tensor([5, 4])
        let out = Tensor.attention(query: q, key: k, value: v, heads: 1, keyMask: Array(repeating: false, count: 5), keyBlock: 2)
        #expect(out == Tensor(shape: [3, 4]))
    }

    @Test func longSequenceWithBoundedWorkspace() {
        var rng = SeededRandom(seed: 9)
        let (tokens, heads, d) = (1500, 2, 16)
        let q = rng.tensor([tokens, heads * d], scale: 2), k = rng.tensor([tokens, heads * d], scale: 2)
        let v = rng.tensor([tokens, heads * d])
        let out = Tensor.attention(query: q, key: k, value: v, heads: heads, queryBlock: 64, keyBlock: 256)
        // Spot-check rows against the naive reference on a slice of the queries.
        let rows = [0, 777, 1499]
        let sliceQ = rows.flatMap { q.scalars[($0 * heads * d)..<(($0 + 1) * heads * d)] }
        let reference = Naive.attention(q: sliceQ, k: k.scalars, v: v.scalars, queries: rows.count, keys: tokens, heads: heads, d: d, mask: nil)
        let got = rows.flatMap { out.scalars[($0 * heads * d)..<(($0 + 1) * heads * d)] }
        #expect(maxRelativeError(got, reference) < 1e-4)
    }
}

@Suite(.serialized) struct ThreadCountTests {
    /// Row-parallel kernels give the same bits whatever the thread count.
    @Test func resultsDoNotDependOnTheThreadCount() {
        var rng = SeededRandom(seed: 14)
        let (tokens, heads, d) = (300, 2, 16)
        let q = rng.tensor([tokens, heads * d], scale: 2), k = rng.tensor([tokens, heads * d], scale: 2)
        let v = rng.tensor([tokens, heads * d]), x = rng.tensor([70_000], scale: 4)
        // 1,000 rows: 8 row chunks, the last one short; enough work to run them in parallel.
        let a = rng.tensor([1000, 300]), b = rng.tensor([77, 300]), rows = rng.tensor([700, 96], scale: 3)
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        var outputs: [[Tensor]] = []
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            outputs.append([
                Tensor.attention(query: q, key: k, value: v, heads: heads, queryBlock: 128, keyBlock: 128),
                x.gelu(approximation: .tanh),
                Tensor.matmul(a, b, transposeB: true),
                rows.layerNormalized(gamma: nil, beta: nil), rows.rmsNormalized(gamma: nil),
            ])
        }
        for (i, name) in ["attention", "gelu", "matmul", "layer norm", "rms norm"].enumerated() {
            #expect(outputs[0][i] == outputs[1][i], "\(name): 1 and 2 threads differ")
            #expect(outputs[0][i] == outputs[2][i], "\(name): 1 and 3 threads differ")
        }
    }
}
