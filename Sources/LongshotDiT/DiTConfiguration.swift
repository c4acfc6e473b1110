import Foundation

/// The dimensions of a ``DiTModel``, read from the `config.json` beside its weights (written by
/// `ops/dit/twin.py`'s `Config.to_dict`).
public struct DiTConfiguration: Sendable, Equatable, Codable {
    /// Latent channels of the video the model denoises.
    public var inChannels: Int
    /// Latent frames, rows and columns per patch: `[time, height, width]`.
    public var patchSize: [Int]
    /// Token width.
    public var hiddenSize: Int
    /// Transformer blocks.
    public var depth: Int
    /// Attention heads; `hiddenSize / heads` is the head dimension.
    public var heads: Int
    /// The MLP's hidden width as a multiple of `hiddenSize`.
    public var mlpRatio: Int
    /// Width of the text encoder's token states (384 for MiniLM-L6).
    public var textDim: Int
    /// Width of the sinusoidal timestep embedding.
    public var frequencyDim: Int
    /// How the head dimension splits between RoPE's time, height and width axes.
    public var ropeAxes: [Int]
    /// RoPE's frequency base.
    public var ropeTheta: Double
    /// Epsilon of every layer and RMS norm.
    public var epsilon: Float
    /// Whether the weights were trained (`false`: random weights, the output is noise).
    public var trained: Bool
    /// Video frames per latent frame (the decoder's temporal upsampling).
    public var temporalFactor: Int
    /// Video pixels per latent pixel along each axis (the decoder's spatial upsampling).
    public var spatialFactor: Int

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", patchSize = "patch_size", hiddenSize = "hidden_size", depth
        case heads = "num_heads", mlpRatio = "mlp_ratio", textDim = "text_dim", frequencyDim = "freq_dim"
        case ropeAxes = "rope_axes", ropeTheta = "rope_theta", epsilon = "eps", trained
        case temporalFactor = "temporal_factor", spatialFactor = "spatial_factor"
    }

    public init(
        inChannels: Int, patchSize: [Int], hiddenSize: Int, depth: Int, heads: Int, mlpRatio: Int = 4,
        textDim: Int = 384, frequencyDim: Int = 256, ropeAxes: [Int], ropeTheta: Double = 10_000,
        epsilon: Float = 1e-6, trained: Bool = false, temporalFactor: Int = 4, spatialFactor: Int = 8
    ) {
        self.inChannels = inChannels
        self.patchSize = patchSize
        self.hiddenSize = hiddenSize
        self.depth = depth
        self.heads = heads
        self.mlpRatio = mlpRatio
        self.textDim = textDim
        self.frequencyDim = frequencyDim
        self.ropeAxes = ropeAxes
        self.ropeTheta = ropeTheta
        self.epsilon = epsilon
        self.trained = trained
        self.temporalFactor = temporalFactor
        self.spatialFactor = spatialFactor
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inChannels: try c.decode(Int.self, forKey: .inChannels), patchSize: try c.decode([Int].self, forKey: .patchSize),
            hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), depth: try c.decode(Int.self, forKey: .depth),
            heads: try c.decode(Int.self, forKey: .heads), mlpRatio: try c.decode(Int.self, forKey: .mlpRatio),
            textDim: try c.decode(Int.self, forKey: .textDim), frequencyDim: try c.decode(Int.self, forKey: .frequencyDim),
            ropeAxes: try c.decode([Int].self, forKey: .ropeAxes), ropeTheta: try c.decode(Double.self, forKey: .ropeTheta),
            epsilon: try c.decode(Float.self, forKey: .epsilon), trained: try c.decodeIfPresent(Bool.self, forKey: .trained) ?? false,
            temporalFactor: try c.decodeIfPresent(Int.self, forKey: .temporalFactor) ?? 4,
            spatialFactor: try c.decodeIfPresent(Int.self, forKey: .spatialFactor) ?? 8)
    }

    /// Reads and validates `config.json`.
    /// - Throws: ``DiTError/invalidConfiguration(path:reason:)``.
    public init(contentsOf path: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DiTError.invalidConfiguration(path: path, reason: "\(error)")
        }
        if let problem = validationProblem { throw DiTError.invalidConfiguration(path: path, reason: problem) }
    }

    /// What is inconsistent, or `nil`.
    public var validationProblem: String? {
        if patchSize.count != 3 || patchSize.contains(where: { $0 < 1 }) { return "patch_size \(patchSize) is not 3 positive sizes" }
        if heads < 1 || hiddenSize % heads != 0 { return "hidden_size \(hiddenSize) is not divisible by \(heads) heads" }
        if ropeAxes.count != 3 || ropeAxes.contains(where: { $0 < 0 || $0 % 2 != 0 }) { return "rope_axes \(ropeAxes) are not 3 even sizes" }
        if ropeAxes.reduce(0, +) != headDim { return "rope_axes \(ropeAxes) do not sum to the head dimension \(headDim)" }
        if frequencyDim % 2 != 0 { return "freq_dim \(frequencyDim) is odd" }
        if temporalFactor < 1 || spatialFactor < 1 { return "temporal_factor and spatial_factor must be positive" }
        return nil
    }

    /// `hiddenSize / heads`.
    public var headDim: Int { hiddenSize / heads }
    /// Scalars per patch: `inChannels * pt * ph * pw`.
    public var patchDim: Int { inChannels * patchSize.reduce(1, *) }
    /// The MLP's hidden width.
    public var mlpDim: Int { mlpRatio * hiddenSize }
}
