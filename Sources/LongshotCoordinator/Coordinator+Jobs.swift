import Foundation
import LongshotJob
import LongshotMetrics
import LongshotProtocol
import LongshotStore
import LongshotWire

extension Coordinator {
    func submit(_ r: Longshot_V1_SubmitJob, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        // The job names an engine; the workers that offer it say what it is. Nothing is loaded here.
        let engine = r.spec.engine.isEmpty ? JobSpec.defaults.engine : r.spec.engine
        do {
            // What does not depend on the engine is checked first.
            try JobSpec(wire: r.spec).validate(knownEngines: [engine])
        } catch {
            throw RequestError(.invalidArgument, error.description)
        }
        let notify = try checkNotifyURL(r.notifyURL)
        let (reports, offered) = try await database.run { store in (try store.liveOffers(engine: engine), try store.liveEngineNames()) }
        guard let offer = reports.lazy.compactMap({ try? Longshot_V1_EngineOffer(jsonString: $0) }).first else {
            let known = offered.isEmpty ? "no worker is connected" : "the live workers offer \(offered.joined(separator: ", "))"
            throw RequestError(.invalidArgument, "engine: no live worker offers engine '\(engine)'; \(known)")
        }
        var spec: JobSpec
        do {
            spec = try JobSpec(wire: r.spec, engineDefaults: offer.defaults)
            try spec.validate(knownEngines: offered)
        } catch {
            throw RequestError(.invalidArgument, error.description)
        }
        if offer.kind != "synthetic" {
            let models = Set(reports.compactMap { try? Longshot_V1_EngineOffer(jsonString: $0).model })
            let bare = { (name: String) in name.split(separator: ":", maxSplits: 1).last.map(String.init) ?? name }
            guard spec.model.isEmpty || models.contains(spec.model) || models.map(bare).contains(spec.model) else {
                throw RequestError(
                    .invalidArgument,
                    "model: engine \(engine) serves \(models.sorted().joined(separator: ", ")), not '\(spec.model)' (a job names an engine and a model id, never a path or a command)")
            }
            // Pin the model: a worker whose engine of that name serves other weights refuses the job's work.
            spec.model = offer.model
        }
        let plan: JobPlan
        do {
            plan = try JobPlan(spec: spec, layout: offer.layout(width: spec.width, height: spec.height))
            try plan.checkLimits()
        } catch {
            throw RequestError(.invalidArgument, "\(error)")
        }
        let id = FarmStore.newJobID()
        let json = try JobCatalog.encode(plan)
        let spans = plan.windows.windows.map { WindowSpan(index: $0.index, firstFrame: $0.start, frameCount: $0.count) }
        let maxAttempts = config.maxAttempts
        let priority = Int(r.spec.priority)
        _ = try await database.run {
            try $0.insertJob(
                id: id, spec: json, priority: priority, windows: spans, maxAttempts: maxAttempts, owner: caller.identity.name,
                notifyURL: notify)
        }
        log.info("job \(id) submitted by \(caller.identity): \(spec.videoFrames) frames, \(spans.count) windows, engine \(spec.engine)", metadata: ["job.id": "\(id)"])
        await publish(.make(.jobSubmitted, job: id, "submitted: \(spans.count) windows"))
        events.publishWorkAvailable("job \(id) submitted")
        return .jobSubmitted(.with { $0.jobID = id })
    }

    func listJobs(_ r: Longshot_V1_ListJobs) async throws -> Longshot_V1_Response.OneOf_Body {
        let states = r.states.compactMap(JobState.init(wire:))
        let limit = r.limit == 0 ? 100 : Int(min(r.limit, 1000))
        let records = try await database.run { store in
            try store.listJobs(states: states.isEmpty ? nil : states, limit: limit).map { job in
                (job, try store.windowCounts(jobID: job.id), try store.groups(jobID: job.id))
            }
        }
        return .jobList(.with {
            $0.jobs = records.map { job, counts, groups in
                let spec = try? jobs.plan(jobID: job.id, specJSON: job.spec).spec
                return .with {
                    $0.id = job.id
                    $0.state = job.state.wire
                    $0.prompt = spec?.promptText ?? ""
                    $0.durationSeconds = spec?.duration ?? 0
                    $0.engine = spec?.engine ?? ""
                    $0.priority = Int32(job.priority)
                    $0.windowsTotal = UInt32(job.windowCount)
                    $0.windowsDone = UInt32(counts[.done] ?? 0)
                    $0.createdAtMs = job.createdAt.milliseconds
                    $0.updatedAtMs = job.updatedAt.milliseconds
                    $0.groups = UInt32(groups.count)
                    $0.slowestGroupStep = UInt32(groups.map(\.step).min() ?? 0)
                    $0.steps = UInt32(spec?.steps ?? 0)
                    $0.owner = job.owner ?? ""
                }
            }
        })
    }

    func showJob(_ r: Longshot_V1_ShowJob) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        let found = try await database.run { store -> (JobRecord, [WindowRecord], [AttemptRecord], [WorkerRecord], [GroupRecord], [String])? in
            guard let job = try store.job(id) else { return nil }
            return (job, try store.windows(jobID: id), try store.attempts(jobID: id), try store.listWorkers(), try store.groups(jobID: id),
                    try store.blockedWorkers(jobID: id))
        }
        guard let (job, windows, attempts, workers, groups, blocked) = found else { throw RequestError(.notFound, "no job with id \(id)") }
        /// A codenoise window is as far as its group: leased while the group is, by the group's worker.
        let groupOf = Dictionary(groups.flatMap { g in (g.firstWindow..<(g.firstWindow + g.windowCount)).map { ($0, g) } }, uniquingKeysWith: { a, _ in a })
        let names = Dictionary(workers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let lastAttempt = Dictionary(grouping: attempts.filter { $0.windowIndex != nil }, by: { $0.windowIndex! }).mapValues { $0.max { $0.id < $1.id }! }
        let spec = try? jobs.plan(jobID: job.id, specJSON: job.spec).spec
        return .jobDetail(.with {
            $0.id = job.id
            $0.state = job.state.wire
            if let spec { $0.spec = spec.wire }
            $0.spec.priority = Int32(job.priority)
            $0.createdAtMs = job.createdAt.milliseconds
            $0.updatedAtMs = job.updatedAt.milliseconds
            $0.error = job.error ?? ""
            $0.outputPath = job.outputPath ?? ""
            $0.outputBytes = UInt64(max(job.outputBytes ?? 0, 0))
            $0.owner = job.owner ?? ""
            $0.previews = previews.list(job: job.id)
            if let spec, [.queued, .running].contains(job.state), windows.contains(where: { $0.state == .pending }) {
                $0.waiting = Self.waitingReason(engine: spec.engine, workers: workers, blockedForJob: Set(blocked)) ?? ""
            }
            $0.windows = windows.map { w in
                let group = groupOf[w.index]
                let attempt = lastAttempt[group?.firstWindow ?? w.index]
                let owner = w.leaseOwner ?? group?.leaseOwner ?? attempt?.workerID
                return .with {
                    $0.index = UInt32(w.index)
                    $0.firstFrame = UInt32(w.firstFrame)
                    $0.frameCount = UInt32(w.frameCount)
                    $0.state = (w.state == .pending && group?.state == .leased ? .leased : w.state).wire
                    $0.attempts = UInt32(w.attempts)
                    $0.worker = owner.map { names[$0] ?? $0 } ?? ""
                    $0.durationMs = UInt64(max(w.durationMs ?? 0, 0))
                    $0.digest = w.resultDigest ?? ""
                    $0.error = attempt?.error ?? ""
                }
            }
            $0.groups = groups.map { g in
                .with {
                    $0.index = UInt32(g.index)
                    $0.firstWindow = UInt32(g.firstWindow)
                    $0.windowCount = UInt32(g.windowCount)
                    $0.state = g.state.wire
                    $0.worker = (g.leaseOwner ?? lastAttempt[g.firstWindow]?.workerID).map { names[$0] ?? $0 } ?? ""
                    $0.step = UInt32(g.step)
                    $0.checkpointStep = UInt32(g.checkpointStep)
                    $0.attempts = UInt32(g.attempts)
                    $0.steps = UInt32(spec?.steps ?? 0)
                }
            }
        })
    }

    func rerun(_ r: Longshot_V1_Rerun, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        guard let job = try await database.run({ try $0.job(id) }) else { throw RequestError(.notFound, "no job with id \(id)") }
        try caller.mayChange(job, "rerun")
        let selection: RerunSelection
        if !r.windows.isEmpty {
            let bad = r.windows.filter { Int($0) >= job.windowCount }
            guard bad.isEmpty else {
                throw RequestError(.invalidArgument, "job \(id) has windows 0-\(job.windowCount - 1); no window \(bad.map(String.init).joined(separator: ", "))")
            }
            selection = .windows(r.windows.map(Int.init))
        } else {
            selection = r.failedOnly ? .failedOnly : .all
        }
        guard !finishing.withLock({ $0.contains(id) }) else {
            throw RequestError(.conflict, "job \(id) is being stitched and encoded right now; rerun it when that is over")
        }
        let (count, toRender, state) = try await database.run { store in
            let count = try store.rerun(jobID: id, windows: selection)
            return (count, try store.windowsToRender(jobID: id), try store.job(id)?.state)
        }
        if state == .succeeded {
            return .ack(.with { $0.message = "nothing to rerun: job \(id) succeeded and none of its windows failed (rerun it without --failed, or name windows)" })
        }
        if count > 0 { await board.drop(job: id) }
        await publishState(id, .queued, "rerun: \(count) window(s) reset, \(toRender) to render")
        if toRender > 0 { events.publishWorkAvailable("job \(id) rerun") }
        await finishIfComplete(jobID: id)
        let note = job.resultsPruned && count > 0
            ? " (the window results were deleted once the video was stored, so every window renders; the coordinator's --keep-window-results keeps them)"
            : ""
        let message =
            toRender == 0
            ? "no window to render: job \(id) is stitched and encoded again"
            : "\(toRender) window(s) will be rendered" + (count == toRender ? "" : " (\(count) reset, the others had not run yet)")
        return .ack(.with { $0.message = message + note })
    }

    func cancel(_ r: Longshot_V1_Cancel, _ caller: Caller) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        guard let job = try await database.run({ try $0.job(id) }) else { throw RequestError(.notFound, "no job with id \(id)") }
        try caller.mayChange(job, "cancel")
        log.info("job \(id) cancelled by \(caller.identity)", metadata: ["job.id": "\(id)"])
        let changed = try await database.run { try $0.cancel(jobID: id) }
        await board.drop(job: id)
        jobs.forget(jobID: id)
        if changed { await publishState(id, .cancelled, "cancelled by \(caller.identity.name)") }
        return .ack(.with { $0.message = changed ? "cancelled" : "the job had already ended" })
    }

    func fetchVideo(_ r: Longshot_V1_FetchVideo) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        guard let job = try await database.run({ try $0.job(id) }) else { throw RequestError(.notFound, "no job with id \(id)") }
        guard job.state == .succeeded, let path = job.outputPath else {
            throw RequestError(.conflict, "job \(id) is \(job.state.rawValue); its video exists once it has succeeded")
        }
        let total = UInt64(max(job.outputBytes ?? 0, 0))
        let offset = min(r.offset, total)
        let chunk = Int(min(r.maxBytes == 0 ? UInt32(WireProtocol.defaultVideoChunkBytes) : r.maxBytes, UInt32(WireProtocol.defaultVideoChunkBytes)))
        let data: Data
        // The file is this coordinator's cache of the stored video (another coordinator, a standby that took
        // over, may have written it elsewhere).
        if let handle = FileHandle(forReadingAtPath: path), (try? handle.seekToEnd()) == total {
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            data = try handle.read(upToCount: chunk) ?? Data()
        } else {
            let stored = try await database.run { try $0.storedVideo(jobID: id, offset: Int(offset), count: chunk) }
            guard !stored.isEmpty || offset == total else {
                throw RequestError(.notFound, "the video of job \(id) is missing from the database; rerun the job")
            }
            data = Data(stored)
        }
        FarmMetrics.bytes(data.count, "video")
        return .videoChunk(.with {
            $0.data = data
            $0.offset = offset
            $0.totalBytes = total
            $0.eof = offset + UInt64(data.count) >= total
        })
    }

    /// A job's log: its events and its attempts' errors and log tails, oldest first. Workers are named as
    /// `show` and `status` name them; an attempt is numbered within its window (or segment).
    func logs(_ r: Longshot_V1_GetLogs) async throws -> Longshot_V1_Response.OneOf_Body {
        let id = r.jobID
        let limit = r.tail == 0 ? 200 : Int(min(r.tail, 5000))
        let found = try await database.run { store -> ([EventRecord], [AttemptRecord], [WorkerRecord])? in
            guard try store.job(id) != nil else { return nil }
            return (try store.recentEvents(jobID: id, limit: limit), try store.attempts(jobID: id), try store.listWorkers())
        }
        guard let (events, attempts, workers) = found else { throw RequestError(.notFound, "no job with id \(id)") }
        let names = Dictionary(workers.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        func named(_ text: String) -> String {
            names.reduce(text) { text, worker in text.replacingOccurrences(of: worker.key, with: worker.value) }
        }
        var lines: [Longshot_V1_LogLine] = events.map { e in
            .with {
                $0.timeMs = e.time.milliseconds
                $0.level = LogLevel.of(eventKind: e.kind)
                $0.jobID = id
                if let w = e.windowIndex { $0.window = UInt32(w) }
                $0.message = "\(e.kind): \(named(e.message))"
            }
        }
        let numbered = Dictionary(grouping: attempts) { a in a.segmentIndex.map { -1 - $0 } ?? a.windowIndex ?? Int.min }
            .values.flatMap { tries in tries.sorted { $0.id < $1.id }.enumerated().map { ($0.element, $0.offset + 1) } }
        for (a, number) in numbered where a.error != nil || a.logTail != nil {
            lines.append(.with {
                $0.timeMs = (a.endedAt ?? a.startedAt).milliseconds
                $0.level = LogLevel.of(outcome: a.outcome)
                $0.jobID = id
                if let w = a.windowIndex { $0.window = UInt32(w) }
                $0.worker = names[a.workerID] ?? a.workerID
                let what = a.segmentIndex.map { "decode segment \($0)" } ?? a.windowIndex.map { "window \($0)" } ?? "lease"
                $0.message = "\(what) attempt \(number) \(a.outcome.rawValue): \(named(a.error ?? ""))" + (a.logTail.map { "\n\($0)" } ?? "")
            })
        }
        if r.hasWindow { lines = lines.filter { $0.hasWindow && $0.window == r.window } }
        lines.sort { $0.timeMs < $1.timeMs }
        return .logs(.with { $0.lines = Array(lines.suffix(limit)) })
    }
}

/// The level of a job's log line.
enum LogLevel {
    /// Failures are errors; expiries and waits are warnings; the rest is information.
    static func of(eventKind kind: String) -> String {
        if kind.contains("fail") { return "error" }
        if kind.contains("expired") || kind.contains("waiting") { return "warning" }
        return "info"
    }

    /// A failed attempt is an error, an expired one a warning; a cancelled one (an operator's block, a
    /// cancel, a rerun) is information.
    static func of(outcome: AttemptOutcome) -> String {
        switch outcome {
        case .failed: "error"
        case .expired: "warning"
        case .cancelled, .done, .running: "info"
        }
    }
}

extension Date {
    var milliseconds: Int64 { Int64(timeIntervalSince1970 * 1000) }
}

extension Coordinator {
    /// Why no worker can take a job's pending work, or nil when one can: no live worker offers the
    /// engine, or every one that does is drained, blocked, or blocked for this job.
    static func waitingReason(engine: String, workers: [WorkerRecord], blockedForJob: Set<String>) -> String? {
        let live = workers.filter { $0.state != .offline }
        let offering = live.filter { $0.engine.split(separator: ",").contains(Substring(engine)) }
        if offering.contains(where: { !$0.drain && !blockedForJob.contains($0.id) }) { return nil }
        guard !offering.isEmpty else {
            let offered = Set(live.flatMap { $0.engine.split(separator: ",").map(String.init) }).sorted()
            let others = offered.isEmpty ? "no worker is live" : "the live workers offer \(offered.joined(separator: ", "))"
            return "no live worker offers engine '\(engine)' (\(others)); the job waits until one joins"
        }
        let why = offering.map { w in "\(w.name) \(w.state == .blocked ? "blocked" : w.drain ? "draining" : "blocked for this job")" }
        return "every worker offering engine '\(engine)' is unavailable (\(why.joined(separator: ", "))); the job waits until one takes work (`longshot workers unblock NAME`)"
    }
}
