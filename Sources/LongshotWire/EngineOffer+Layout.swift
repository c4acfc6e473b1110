import LongshotDiffusion
import LongshotProtocol

extension Longshot_V1_EngineOffer {
    /// The latent layout of a `width` x `height` video on this engine.
    public func layout(width: Int, height: Int) -> LatentLayout {
        let sf = Int(max(spatialFactor, 1)), unit = Int(max(latentUnit, 1))
        func cells(_ pixels: Int) -> Int { (pixels + sf * unit - 1) / (sf * unit) * unit }
        return LatentLayout(
            channels: Int(channels), height: cells(height), width: cells(width), temporalFactor: Int(max(temporalFactor, 1)),
            spatialFactor: sf, causal: causal, decodeContext: Int(decodeContext))
    }

    /// What the engine recommends for unset job parameters.
    public var defaults: EngineDefaults {
        EngineDefaults(
            window: defaultWindow > 0 ? Int(defaultWindow) : nil, overlap: hasDefaultOverlap ? Int(defaultOverlap) : nil,
            shift: defaultShift > 0 ? defaultShift : nil, guidance: hasDefaultGuidance ? defaultGuidance : nil)
    }

    /// An offer for an engine `kind` named `name` with `layout`'s factors, its grid rounded to `unit` cells.
    public init(
        name: String, kind: String, model: String, weightsSHA256: String?, layout: LatentLayout, unit: Int, defaults: EngineDefaults?
    ) {
        self.init()
        self.name = name
        self.kind = kind
        self.model = model
        self.weightsSha256 = weightsSHA256 ?? ""
        channels = UInt32(layout.channels)
        temporalFactor = UInt32(layout.temporalFactor)
        spatialFactor = UInt32(layout.spatialFactor)
        latentUnit = UInt32(max(unit, 1))
        causal = layout.causal
        decodeContext = UInt32(layout.decodeContext)
        if let window = defaults?.window { defaultWindow = UInt32(window) }
        if let overlap = defaults?.overlap { defaultOverlap = UInt32(overlap) }
        if let shift = defaults?.shift { defaultShift = shift }
        if let guidance = defaults?.guidance { defaultGuidance = guidance }
    }
}
