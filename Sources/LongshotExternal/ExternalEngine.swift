import Foundation
import LongshotDiffusion

/// An engine in another process, driven over its standard input and output with the Longshot external
/// engine protocol (docs/external-engine.md): length-prefixed frames of a JSON header and a raw payload.
///
/// One process per engine instance, started by `init` (which performs the `hello` handshake) and ended when
/// the instance is released. Calls are serialised; each must be answered within its timeout. A crashing
/// engine (end of file, exit), a hanging one (timeout: it is then killed) or one that breaks the protocol
/// makes the call throw ``ExternalEngineError`` with the engine's last lines of standard error, and every
/// later call throws the same error.
public final class ExternalEngine: Denoiser, @unchecked Sendable {
    /// The protocol version this build speaks.
    public static let protocolVersion = 1
    /// The environment variable that sets the per-call timeout in seconds (default 120).
    public static let timeoutVariable = "LONGSHOT_ENGINE_TIMEOUT"

    public struct Timeouts: Sendable {
        /// For `hello`: starting the process and loading the model.
        public var startup: Double
        /// For every other call.
        public var call: Double

        public init(startup: Double = 300, call: Double = 120) {
            self.startup = startup
            self.call = call
        }

        /// Defaults, with `call` from `LONGSHOT_ENGINE_TIMEOUT` when set.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Timeouts {
            var timeouts = Timeouts()
            if let text = environment[ExternalEngine.timeoutVariable], let seconds = Double(text), seconds > 0 {
                timeouts.call = seconds
                timeouts.startup = max(timeouts.startup, seconds)
            }
            return timeouts
        }
    }

    public let command: String
    public let timeouts: Timeouts
    /// The model name the engine reported, prefixed with its kind (`external:`, `diffusers:`).
    public let modelName: String
    private let process: EngineProcess
    private let lock = NSLock()
    // Guarded by `lock`.
    private var nextID = 1
    private var failure: ExternalEngineError?
    private var layouts: [[Int]: LatentLayout] = [:]
    private let helloSize: [Int]
    /// What the engine recommends for unset job parameters (hello's `defaults`).
    public let defaults: EngineDefaults?
    /// The SHA-256 of the model's weights, when the engine reports it (hello's `weights_sha256`).
    public let weightsDigest: String?

    /// Starts `command` (through `/bin/sh -c`) and performs the handshake for frames of `width` x `height`;
    /// the model name the engine reports is prefixed with `kind` and a colon.
    public init(command: String, width: Int, height: Int, timeouts: Timeouts = .fromEnvironment(),
                environment: [String: String] = [:], kind: String = "external") throws(ExternalEngineError) {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ExternalEngineError(.spawn, "no command: give --engine-cmd \"CMD\"")
        }
        self.command = command
        self.timeouts = timeouts
        process = try EngineProcess(command: command, environment: environment)
        helloSize = [width, height]
        var request = Request(op: "hello")
        request.protocolVersion = Self.protocolVersion
        request.longshot = "longshot/\(Self.protocolVersion)"
        (request.width, request.height) = (width, height)
        let reply: Reply
        do throws(ExternalEngineError) {
            reply = try Self.exchange(process, request: request, id: 1, payload: [], timeout: timeouts.startup).reply
        } catch {
            process.terminate(grace: 0)
            throw error
        }
        nextID = 2
        guard reply.protocolVersion == Self.protocolVersion else {
            process.terminate(grace: 0)
            throw ExternalEngineError(
                .protocolViolation, "engine speaks protocol \(reply.protocolVersion.map(String.init) ?? "?"), Longshot speaks \(Self.protocolVersion)")
        }
        guard let layout = reply.layout, let model = reply.model, !model.isEmpty else {
            process.terminate(grace: 0)
            throw ExternalEngineError(.protocolViolation, "hello reply lacks model or layout")
        }
        if let problem = Self.problem(layout) {
            process.terminate(grace: 0)
            throw ExternalEngineError(.protocolViolation, "hello reply: \(problem)")
        }
        modelName = kind + ":" + model
        defaults = reply.defaults
        weightsDigest = reply.weightsSha256
        layouts[helloSize] = layout
    }

    deinit {
        process.terminate(grace: 2)
    }

    /// True once a call crashed, timed out or broke the protocol: every later call fails; start another.
    public var isDead: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    /// The engine process's id.
    public var processID: Int32 { process.pid }

    /// The ids of the engine's processes: its process group (the shell and what it started).
    public var processGroup: [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [process.pid] }
        return entries.compactMap { entry -> Int32? in
            guard entry.first?.isNumber == true,
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[2]) == process.pid ? Int32(entry) : nil
        }
    }

    /// GPU memory the engine's processes hold in bytes (NVIDIA, through nvidia-smi); 0 without a GPU.
    public var gpuBytes: Int {
        let used = GPUMemory.byProcess()
        guard !used.isEmpty else { return 0 }
        return processGroup.reduce(0) { $0 + (used[$1] ?? 0) }
    }

    /// The resident memory of the engine's processes in bytes (Linux: the VmRSS of every process in
    /// ``processGroup``), nil if unknown.
    public var residentBytes: Int? {
        var total = 0, found = false
        for pid in processGroup {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                let kb = line.split(separator: " ").compactMap({ Int($0) }).first
            else { continue }
            total += kb * 1024
            found = true
        }
        return found ? total : nil
    }

    // MARK: Denoiser

    public func layout(width: Int, height: Int) -> LatentLayout {
        lock.lock()
        if let layout = layouts[[width, height]] {
            lock.unlock()
            return layout
        }
        lock.unlock()
        var request = Request(op: "layout")
        (request.width, request.height) = (width, height)
        do throws(ExternalEngineError) {
            let reply = try call(request).reply
            guard let layout = reply.layout else { throw ExternalEngineError(.protocolViolation, "layout reply lacks layout") }
            if let problem = Self.problem(layout) { throw ExternalEngineError(.protocolViolation, "layout reply: \(problem)") }
            lock.lock()
            layouts[[width, height]] = layout
            lock.unlock()
            return layout
        } catch {
            // `layout` cannot throw: the failure is kept and the next `prepare` or `decode` throws it.
            lock.lock()
            defer { lock.unlock() }
            if failure == nil { failure = error }
            return layouts[helloSize]!
        }
    }

    public func prepare(window: WindowRequest) throws -> any WindowModel {
        var request = Request(op: "prepare")
        request.firstFrame = window.firstFrame
        request.frames = window.frames
        request.layout = window.layout
        request.seed = String(window.seed)
        request.fps = window.fps
        request.shots = window.conditioning.shots
        request.shotWeights = window.conditioning.shotWeights
        request.times = window.conditioning.times
        request.guidance = window.guidance
        request.negativePrompt = window.negativePrompt
        let reply = try call(request).reply
        guard let handle = reply.window else { throw ExternalEngineError(.protocolViolation, "prepare reply lacks window") }
        return ExternalWindowModel(engine: self, handle: handle, layout: window.layout, frames: window.frames)
    }

    public func decode(_ latents: LatentVideo, videoFrames: Range<Int>, width: Int, height: Int) throws -> [[UInt8]] {
        var request = Request(op: "decode")
        request.firstFrame = latents.firstFrame
        request.frames = latents.frames
        request.layout = latents.layout
        request.shape = [latents.frames, latents.layout.channels, latents.layout.height, latents.layout.width]
        request.dtype = "f32"
        request.videoFrames = [videoFrames.lowerBound, videoFrames.upperBound]
        (request.width, request.height) = (width, height)
        let (reply, payload) = try call(request, payload: Self.bytes(latents.data))
        let frameBytes = width * height * 3
        guard reply.dtype == "u8", reply.shape == [videoFrames.count, height, width, 3], payload.count == videoFrames.count * frameBytes else {
            throw ExternalEngineError(
                .protocolViolation,
                "decode reply is \(reply.dtype ?? "?") \(reply.shape ?? []) with \(payload.count) bytes; expected u8 [\(videoFrames.count), \(height), \(width), 3]")
        }
        return (0..<videoFrames.count).map { Array(payload[($0 * frameBytes)..<(($0 + 1) * frameBytes)]) }
    }

    // MARK: Calls

    func velocity(handle: Int, latents: [Float], t: Float, layout: LatentLayout) throws -> [Float] {
        guard latents.count % layout.frameSize == 0 else {
            throw ExternalEngineError(.protocolViolation, "\(latents.count) scalars are not whole latent frames")
        }
        var request = Request(op: "velocity")
        request.window = handle
        request.t = Double(t)
        request.shape = [latents.count / layout.frameSize, layout.channels, layout.height, layout.width]
        request.dtype = "f32"
        let (reply, payload) = try call(request, payload: Self.bytes(latents))
        guard reply.dtype == "f32", reply.shape == request.shape, payload.count == latents.count * 4 else {
            throw ExternalEngineError(
                .protocolViolation,
                "velocity reply is \(reply.dtype ?? "?") \(reply.shape ?? []) with \(payload.count) bytes; expected f32 \(request.shape!)")
        }
        return Self.floats(payload)
    }

    func release(handle: Int) {
        var request = Request(op: "release")
        request.window = handle
        _ = try? call(request)
    }

    /// One request and its reply, serialised with every other call; a failure is sticky.
    private func call(_ request: Request, payload: [UInt8] = []) throws(ExternalEngineError) -> (reply: Reply, payload: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        let id = nextID
        nextID += 1
        do throws(ExternalEngineError) {
            return try Self.exchange(process, request: request, id: id, payload: payload, timeout: timeouts.call)
        } catch where error.kind == .engine {
            throw error  // the engine refused this call but is still in step: later calls may go on
        } catch {
            failure = error
            process.terminate(grace: 0)
            throw error
        }
    }

    /// Writes one request frame and reads its reply within `timeout` seconds.
    private static func exchange(
        _ process: EngineProcess, request: Request, id: Int, payload: [UInt8], timeout: Double
    ) throws(ExternalEngineError) -> (reply: Reply, payload: [UInt8]) {
        var request = request
        request.id = id
        let deadline = Date(timeIntervalSinceNow: timeout)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        let header = [UInt8]((try? encoder.encode(request)) ?? Data())
        var frame = [UInt8]()
        frame.reserveCapacity(8 + header.count + payload.count)
        for length in [header.count, payload.count] {
            for shift in stride(from: 0, to: 32, by: 8) { frame.append(UInt8(truncatingIfNeeded: length >> shift)) }
        }
        frame += header
        frame += payload
        let what = "`\(process.command)` (\(request.op) call)"
        func failed(_ error: ExternalEngineError) -> ExternalEngineError {
            var error = error
            switch error.kind {
            case .timeout:
                error.message = "\(what) gave no reply within \(timeout) s; the engine was killed"
                process.terminate(grace: 0)
                error.stderrTail = process.stderrTail(settle: 1)
            case .crashed:
                let exit = process.exitDescription(wait: 2).map { " (\($0))" } ?? ""
                error.message = "\(what): \(error.message)\(exit)"
                error.stderrTail = process.stderrTail(settle: 1)
            default:
                error.message = "\(what): \(error.message)"
                error.stderrTail = process.stderrTail(settle: 0.05)
            }
            return error
        }
        do throws(ExternalEngineError) {
            try process.write(frame, deadline: deadline)
            guard let (headerBytes, replyPayload) = try process.readFrame(deadline: deadline) else {
                throw ExternalEngineError(.crashed, "engine closed its output")
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let reply: Reply
            do {
                reply = try decoder.decode(Reply.self, from: Data(headerBytes))
            } catch {
                let text = String(decoding: headerBytes.prefix(200), as: UTF8.self)
                throw ExternalEngineError(.protocolViolation, "reply header is not a reply object: \(text)")
            }
            guard reply.id == id else {
                throw ExternalEngineError(.protocolViolation, "reply id \(reply.id.map(String.init) ?? "missing"), expected \(id)")
            }
            guard reply.ok else {
                var refusal = ExternalEngineError(.engine, reply.error ?? "refused without a message")
                refusal.reason = reply.error
                throw refusal
            }
            return (reply, replyPayload)
        } catch {
            throw failed(error)
        }
    }

    private static func problem(_ l: LatentLayout) -> String? {
        if l.channels < 1 || l.height < 1 || l.width < 1 || l.temporalFactor < 1 || l.spatialFactor < 1 {
            return "layout \(l) has a size below 1"
        }
        if l.decodeContext < 0 || l.decodeContext > 64 { return "layout decode_context \(l.decodeContext) is out of range 0-64" }
        return nil
    }

    static func bytes(_ floats: [Float]) -> [UInt8] {
        floats.withUnsafeBytes { raw in
            var out = [UInt8](raw)
            #if _endian(big)
                for i in stride(from: 0, to: out.count, by: 4) { out[i..<(i + 4)].reverse() }
            #endif
            return out
        }
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        let count = bytes.count / 4
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBytes { $0.copyBytes(from: bytes.prefix(count * 4)) }
        #if _endian(big)
            out = out.map { Float(bitPattern: $0.bitPattern.byteSwapped) }
        #endif
        return out
    }
}

/// One prepared window of an ``ExternalEngine``; releases the engine's handle when it goes away.
final class ExternalWindowModel: WindowModel, @unchecked Sendable {
    let engine: ExternalEngine
    let handle: Int
    let layout: LatentLayout
    let frames: Int

    init(engine: ExternalEngine, handle: Int, layout: LatentLayout, frames: Int) {
        self.engine = engine
        self.handle = handle
        self.layout = layout
        self.frames = frames
    }

    deinit { engine.release(handle: handle) }

    func velocity(_ latents: [Float], t: Float) throws -> [Float] {
        try engine.velocity(handle: handle, latents: latents, t: t, layout: layout)
    }
}

/// A request header; `nil` fields are left out.
struct Request: Encodable {
    var op: String
    var id = 0
    var protocolVersion: Int?
    var longshot: String?
    var width: Int?
    var height: Int?
    var firstFrame: Int?
    var frames: Int?
    var layout: LatentLayout?
    var seed: String?
    var fps: Double?
    var shots: [Shot]?
    var shotWeights: [[Float]]?
    var times: [Double]?
    var window: Int?
    var t: Double?
    var shape: [Int]?
    var dtype: String?
    var videoFrames: [Int]?
    var guidance: Double?
    var negativePrompt: String?

    init(op: String) { self.op = op }

    enum CodingKeys: String, CodingKey {
        case op, id, protocolVersion = "protocol", longshot, width, height, firstFrame, frames, layout, seed, fps, shots
        case shotWeights, times, window, t, shape, dtype, videoFrames, guidance, negativePrompt
    }
}

/// A reply header.
struct Reply: Decodable {
    var id: Int?
    var ok: Bool
    var error: String?
    var protocolVersion: Int?
    var model: String?
    var layout: LatentLayout?
    var window: Int?
    var shape: [Int]?
    var dtype: String?
    var defaults: EngineDefaults?
    var weightsSha256: String?

    enum CodingKeys: String, CodingKey {
        case id, ok, error, protocolVersion = "protocol", model, layout, window, shape, dtype, defaults, weightsSha256
    }
}
