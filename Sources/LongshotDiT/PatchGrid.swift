/// The token grid of a latent window cut into `pt x ph x pw` patches; tokens are frame-major, then row,
/// then column, and a patch vector is ordered channel, dt, dy, dx (as the twin's `patchify`).
struct PatchGrid {
    let frames: Int, height: Int, width: Int
    let patch: (t: Int, h: Int, w: Int)
    let channels: Int

    var tokens: Int { frames * height * width }
    var patchDim: Int { channels * patch.t * patch.h * patch.w }

    /// Calls `body(token, element, latentIndex)` for every scalar of every patch.
    @inline(__always)
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let fullH = height * patch.h, fullW = width * patch.w
        for f in 0..<frames {
            for y in 0..<height {
                for x in 0..<width {
                    let token = (f * height + y) * width + x
                    var e = 0
                    for c in 0..<channels {
                        for dt in 0..<patch.t {
                            for dy in 0..<patch.h {
                                let row = ((f * patch.t + dt) * channels + c) * fullH * fullW + (y * patch.h + dy) * fullW + x * patch.w
                                for dx in 0..<patch.w {
                                    body(token, e, row + dx)
                                    e += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Latents `[F, C, H, W]` to patch vectors `[tokens, patchDim]`.
    func patchify(_ latents: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        let p = patchDim
        forEach { token, e, index in patches[token * p + e] = latents[index] }
    }

    /// Patch vectors back to latents.
    func unpatchify(_ patches: UnsafePointer<Float>, into latents: UnsafeMutablePointer<Float>) {
        let p = patchDim
        forEach { token, e, index in latents[index] = patches[token * p + e] }
    }
}
