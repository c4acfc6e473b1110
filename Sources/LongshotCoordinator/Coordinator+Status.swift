import Foundation
import LongshotProtocol
import LongshotStore

extension Coordinator {
    func status() async throws -> Longshot_V1_Response.OneOf_Body {
        let (workers, jobCounts, windowCounts, groups, active) = try await database.run { store in
            (
                try store.listWorkers(), try store.jobStateCounts(), try store.windowStateCounts(), try store.runningGroups(),
                try store.listJobs(states: [.running], limit: 20).map { ($0, try store.groups(jobID: $0.id)) }
            )
        }
        let groupOf = Dictionary(grouping: groups, by: \.owner)
        let host = ProcessInfo.processInfo.hostName
        return .clusterStatus(.with {
            $0.coordinator = .with {
                $0.pid = UInt32(getpid())
                $0.host = host
                $0.version = config.version
                $0.startedAtMs = startedAt.milliseconds
                $0.listen = boundAddress ?? config.listen
                $0.events = events.address
            }
            $0.workers = workers.map { w in
                .with {
                    $0.workerID = w.id
                    $0.name = w.name
                    $0.host = w.host
                    $0.pid = UInt32(clamping: w.pid)
                    $0.state = w.state.wire
                    $0.engine = w.engine
                    $0.engines = engineStates.withLock { $0[w.id] ?? [] }
                    $0.slots = UInt32(clamping: w.slots)
                    if let current = w.currentWindows.first {
                        $0.current = "\(current.jobID)/\(current.index)"
                    } else if let group = groupOf[w.id]?.first {
                        $0.current = "\(group.jobID)/group \(group.index) step \(group.step)"
                    }
                    $0.lastSeenMs = w.lastSeenAt.milliseconds
                }
            }
            $0.queue = .with {
                $0.queued = UInt32(jobCounts[.queued] ?? 0)
                $0.running = UInt32(jobCounts[.running] ?? 0)
                $0.stitching = UInt32(jobCounts[.stitching] ?? 0)
                $0.encoding = UInt32(jobCounts[.encoding] ?? 0)
                $0.succeeded = UInt32(jobCounts[.succeeded] ?? 0)
                $0.failed = UInt32(jobCounts[.failed] ?? 0)
                $0.cancelled = UInt32(jobCounts[.cancelled] ?? 0)
                // A codenoise window is leased while its group is (its own row stays pending until the group ends).
                let inGroups = groups.map(\.windowCount).reduce(0, +)
                $0.windowsPending = UInt32(max((windowCounts[.pending] ?? 0) - inGroups, 0))
                $0.windowsLeased = UInt32((windowCounts[.leased] ?? 0) + inGroups)
            }
            $0.activeJobs = active.map { job, groups in
                let spec = try? jobs.plan(jobID: job.id, specJSON: job.spec).spec
                return .with {
                    $0.id = job.id
                    $0.state = job.state.wire
                    $0.prompt = spec?.promptText ?? ""
                    $0.engine = spec?.engine ?? ""
                    $0.windowsTotal = UInt32(job.windowCount)
                    $0.groups = UInt32(groups.count)
                    $0.slowestGroupStep = UInt32(groups.map(\.step).min() ?? 0)
                    $0.steps = UInt32(spec?.steps ?? 0)
                    $0.createdAtMs = job.createdAt.milliseconds
                }
            }
        })
    }

    func workerAdmin(_ r: Longshot_V1_WorkerAdmin) async throws -> Longshot_V1_Response.OneOf_Body {
        let name = r.name
        guard let worker = try await database.run({ try $0.listWorkers().first { $0.name == name } }) else {
            throw RequestError(.notFound, "no worker named '\(name)'; `longshot status` lists them")
        }
        let id = worker.id
        let verb: String
        switch r.action {
        case .drain:
            _ = try await database.run { try $0.setWorkerDrain(workerID: id, true) }
            verb = "drained: finishes the windows it holds, takes no new ones"
        case .block:
            let taken = try await database.run { try $0.blockWorker(workerID: id) } ?? 0
            verb = "blocked: takes no new windows; \(taken) window(s) it held go to other workers"
        case .unblock:
            _ = try await database.run { try $0.setWorkerDrain(workerID: id, false) }
            verb = "unblocked: takes work again"
        default:
            throw RequestError(.invalidArgument, "worker action must be drain, block or unblock")
        }
        events.publish(.make(.log, "worker \(name) \(verb)"))
        // Blocking hands the worker's windows to others; unblocking lets it take work again.
        if r.action != .drain { events.publishWorkAvailable("worker \(name) \(r.action == .block ? "blocked" : "unblocked")") }
        return .ack(.with { $0.message = "worker \(name) \(verb)" })
    }
}

extension Coordinator {
    /// Live events for `watch`, long-polled (at most 5 s, under a client's 10 s timeout).
    func watchEvents(_ r: Longshot_V1_WatchEvents) async throws -> Longshot_V1_Response.OneOf_Body {
        let wait = Duration.milliseconds(Int(min(r.waitMs, 5000)))
        return .eventBatch(await events.events(job: r.jobID, after: r.after, epoch: r.epoch, wait: wait))
    }
}
