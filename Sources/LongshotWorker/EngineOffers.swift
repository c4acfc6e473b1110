import Foundation
import Logging
import LongshotDiffusion
import LongshotDigest
import LongshotEngines
import LongshotExternal
import LongshotJob
import LongshotMetrics
import LongshotProtocol
import LongshotWire

/// Loads every engine a worker offers, once, and describes each for the coordinator (name, model, weights
/// hash, latent layout, defaults): the coordinator plans jobs from these, and never loads a model itself.
enum EngineOffers {
    /// The frame size engines are probed at: a multiple of every spatial factor and patch in use.
    static let probe = 256

    static func load(_ roster: EngineRoster, log: Logger) async throws -> [Longshot_V1_EngineOffer] {
        var offers: [Longshot_V1_EngineOffer] = []
        for entry in roster.entries {
            var spec = JobSpec.defaults
            spec.engine = entry.name
            (spec.width, spec.height) = (probe, probe)
            let started = ContinuousClock.now
            let denoiser: any Denoiser
            do {
                let probeSpec = spec
                denoiser = try await onThread(name: "load-\(entry.name)") { try roster.denoiser(for: probeSpec) }
            } catch {
                throw WorkerError("engine \(entry.name) (\(entry.kind.rawValue)) does not load: \(error)")
            }
            let layout = denoiser.layout(width: probe, height: probe)
            let external = denoiser as? ExternalEngine
            var offer = Longshot_V1_EngineOffer(
                name: entry.name, kind: entry.kind.rawValue, model: denoiser.modelName,
                weightsSHA256: external?.weightsDigest ?? (entry.kind == .dit ? entry.model.flatMap(folderDigest) : nil),
                layout: layout, unit: denoiser.latentUnit, defaults: denoiser.defaults)
            offer.residentBytes = UInt64(external?.residentBytes ?? 0)
            log.info("engine \(entry.name): \(denoiser.modelName) loaded in \(ContinuousClock.now - started)")
            FarmMetrics.engineLoaded(entry.name, after: ContinuousClock.now - started)
            offers.append(offer)
        }
        return offers
    }

    /// SHA-256 over a model folder's config.json and model.safetensors (a dit engine's weights).
    static func folderDigest(_ folder: String) -> String? {
        var data = Data()
        for file in ["config.json", "model.safetensors"] {
            guard let bytes = FileManager.default.contents(atPath: URL(fileURLWithPath: folder).appendingPathComponent(file).path) else {
                return nil
            }
            data.append(Data(file.utf8))
            data.append(bytes)
        }
        return SHA256.hex(data)
    }
}
