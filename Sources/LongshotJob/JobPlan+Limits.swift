/// What a planned job costs, and the limits a farm and `render` refuse it beyond (with the numbers).
extension JobPlan {
    /// The largest latents of one window travel in one message: under NNG's limit (64 MiB) with room for
    /// the request around them.
    public static let maximumWindowBytes = 60 << 20
    /// The window results a job stores, and the coordinator reads back to stitch.
    public static let maximumStoredBytes = 8 << 30

    /// Bytes of the whole job's latents (what stitching holds in memory, besides the window results).
    public var latentBytes: Int { latentFrames * layout.frameSize * 4 }

    /// Bytes of the largest window's latents.
    public var largestWindowBytes: Int { (windows.windows.map(\.count).max() ?? 0) * layout.frameSize * 4 }

    /// Bytes of every window's latents together (the job's stored results).
    public var storedBytes: Int { windows.windows.reduce(0) { $0 + $1.count } * layout.frameSize * 4 }

    /// Throws when a window's latents would not fit in a message or the job's results would exceed what a
    /// farm stores and stitches.
    public func checkLimits() throws(JobSpecError) {
        func mib(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / Double(1 << 20)) }
        func gib(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        guard largestWindowBytes <= Self.maximumWindowBytes else {
            throw JobSpecError(
                "window", "a window's latents are \(mib(largestWindowBytes)) (\(spec.window) latent frames of \(layout.channels)x\(layout.height)x\(layout.width)), above the \(mib(Self.maximumWindowBytes)) a message carries; use a shorter --window or a smaller --size")
        }
        guard storedBytes <= Self.maximumStoredBytes else {
            throw JobSpecError(
                "size", "the job's window results would be \(gib(storedBytes)) (stitching holds them and \(gib(latentBytes)) of fused latents), above the maximum of \(gib(Self.maximumStoredBytes)); use a smaller --size, a shorter --duration or fewer overlapping frames")
        }
    }
}
