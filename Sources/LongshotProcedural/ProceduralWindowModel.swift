import Foundation
import LongshotDiffusion

/// The procedural denoiser bound to one window: the K variants' 8-bit renders of the window's frames.
/// A latent value is q / 127.5 - 1 for an 8-bit render value q.
///
/// Alone, a window's prediction is the posterior mean given its own frames. Under co-denoising it shares
/// its evidence (the variants' log-likelihoods, a sum over frames), so every window predicts with the
/// posterior of the whole video and all windows settle on the same variant.
struct ProceduralWindowModel: EvidenceSharingModel {
    let renders: [[UInt8]]
    let frameSize: Int
    /// ||r_k||^2 of each variant's render, per frame, in latent units.
    let frameNorms: [[Double]]

    init(renders: [[UInt8]], frameSize: Int) {
        self.renders = renders
        self.frameSize = frameSize
        self.frameNorms = renders.map { q in
            q.withUnsafeBufferPointer { b in
                stride(from: 0, to: b.count, by: frameSize).map { start in
                    var s = 0.0
                    for v in b[start..<(start + frameSize)] {
                        let x = Double(v) / 127.5 - 1
                        s += x * x
                    }
                    return s
                }
            }
        }
    }

    var frames: Int { frameNorms.first?.count ?? 0 }

    func velocity(_ latents: [Float], t: Float) throws -> [Float] {
        try velocity(latents, t: t, evidence: evidence(latents, t: t, frameWeights: [Float](repeating: 1, count: frames)))
    }

    /// Log-likelihood of each variant, -||x - (1-t) r_k||^2 / (2 t^2) summed over frames with the given
    /// weights, without the ||x||^2 term that all variants share.
    func evidence(_ x: [Float], t: Float, frameWeights: [Float]) -> [Double] {
        let t = Double(t)
        let a = 1 - t
        return x.withUnsafeBufferPointer { xb in
            var sums = [Double](repeating: 0, count: frames)
            for f in 0..<frames {
                sums[f] = Self.sum(UnsafeBufferPointer(rebasing: xb[(f * frameSize)..<((f + 1) * frameSize)]))
            }
            return renders.enumerated().map { k, q in
                q.withUnsafeBufferPointer { qb in
                    var total = 0.0
                    for f in 0..<frames where frameWeights[f] > 0 {
                        let range = (f * frameSize)..<((f + 1) * frameSize)
                        let dotQ = Self.dot(UnsafeBufferPointer(rebasing: xb[range]), UnsafeBufferPointer(rebasing: qb[range]))
                        let dotR = dotQ / 127.5 - sums[f]
                        total += Double(frameWeights[f]) * (a * dotR - 0.5 * a * a * frameNorms[k][f])
                    }
                    return total / (t * t)
                }
            }
        }
    }

    /// v = (x_t - x0) / t with x0 = sum_k p_k r_k = (sum_k p_k q_k) / 127.5 - 1, p = softmax(evidence).
    func velocity(_ latents: [Float], t: Float, evidence: [Double]) throws -> [Float] {
        let top = evidence.max() ?? 0
        let e = evidence.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        let n = latents.count
        var mean = [Float](repeating: 0, count: n)
        mean.withUnsafeMutableBufferPointer { m in
            for (k, q) in renders.enumerated() where e[k] / total > 1e-12 {
                let p = Float(e[k] / total / 127.5)
                q.withUnsafeBufferPointer { qb in
                    for i in 0..<n { m[i] += p * Float(qb[i]) }
                }
            }
        }
        let invT = 1 / t
        var v = [Float](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { vb in
            latents.withUnsafeBufferPointer { xb in
                mean.withUnsafeBufferPointer { m in
                    for i in 0..<n { vb[i] = (xb[i] - (m[i] - 1)) * invT }
                }
            }
        }
        return v
    }

    /// Sum with eight independent partial sums (vectorisable, fixed order: deterministic).
    static func sum(_ x: UnsafeBufferPointer<Float>) -> Double {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= x.count {
            acc += SIMD8<Float>(x[i..<(i + 8)])
            i += 8
        }
        var total = Double(acc.sum())
        while i < x.count {
            total += Double(x[i])
            i += 1
        }
        return total
    }

    static func dot(_ x: UnsafeBufferPointer<Float>, _ q: UnsafeBufferPointer<UInt8>) -> Double {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= x.count {
            let qv = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: SIMD8<UInt8>(q[i..<(i + 8)])))
            acc += SIMD8<Float>(x[i..<(i + 8)]) * qv
            i += 8
        }
        var total = Double(acc.sum())
        while i < x.count {
            total += Double(x[i]) * Double(q[i])
            i += 1
        }
        return total
    }
}
