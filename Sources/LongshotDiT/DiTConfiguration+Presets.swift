/// Named model sizes for `longshot dit init --preset NAME`.
extension DiTConfiguration {
    /// The preset names, smallest first.
    public static let presetNames = ["tiny", "bench"]

    /// The configuration named `name`, or `nil`.
    ///
    /// - `tiny`: 4 latent channels, 1 x 4 x 4 patches, width 64, 2 blocks, 4 heads: fast enough to render a
    ///   minute on a CPU (a 24-frame window of 320 x 192 is 1,440 tokens).
    /// - `bench`: the benchmark's model (`ops/dit/benchmark.py`): 16 channels, width 256, 8 blocks, 4 heads.
    ///
    /// Both decode each latent frame to 4 video frames and each latent pixel to 8 x 8 pixels.
    public static func preset(_ name: String) -> DiTConfiguration? {
        switch name {
        case "tiny":
            return DiTConfiguration(
                inChannels: 4, patchSize: [1, 4, 4], hiddenSize: 64, depth: 2, heads: 4, frequencyDim: 128,
                ropeAxes: [4, 6, 6])
        case "bench":
            return DiTConfiguration(
                inChannels: 16, patchSize: [1, 2, 2], hiddenSize: 256, depth: 8, heads: 4, ropeAxes: [16, 24, 24])
        default:
            return nil
        }
    }
}
