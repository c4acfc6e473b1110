import LongshotClient
import LongshotProtocol

/// Typed client calls: each sends one request and returns the reply it expects.
extension FarmClient {
    /// Submits a job (to call `notifyURL` with its end state); returns its id.
    public func submit(_ spec: Longshot_V1_JobSpec, notifyURL: String = "") async throws -> String {
        var request = Longshot_V1_SubmitJob()
        request.spec = spec
        request.notifyURL = notifyURL
        guard case .jobSubmitted(let reply) = try await call(.submitJob(request)) else { throw unexpected("SubmitJob") }
        return reply.jobID
    }

    /// The coordinator, its workers and the queue.
    public func status() async throws -> Longshot_V1_ClusterStatus {
        guard case .clusterStatus(let reply) = try await call(.getStatus(Longshot_V1_GetStatus())) else {
            throw unexpected("GetStatus")
        }
        return reply
    }

    /// Jobs, newest first, optionally only in `states`.
    public func jobs(states: [Longshot_V1_JobState] = [], limit: Int = 0) async throws -> Longshot_V1_JobList {
        var request = Longshot_V1_ListJobs()
        request.states = states
        request.limit = UInt32(clamping: limit)
        guard case .jobList(let reply) = try await call(.listJobs(request)) else { throw unexpected("ListJobs") }
        return reply
    }

    /// One job with its windows.
    public func job(_ id: String) async throws -> Longshot_V1_JobDetail {
        var request = Longshot_V1_ShowJob()
        request.jobID = id
        guard case .jobDetail(let reply) = try await call(.showJob(request)) else { throw unexpected("ShowJob") }
        return reply
    }

    /// Live events after position `after` of coordinator run `epoch` (empty: from now on), only `job`'s
    /// when given, waiting up to `wait` (at most 5 s) for one.
    public func events(job: String?, after: UInt64, epoch: String, wait: Duration) async throws -> Longshot_V1_EventBatch {
        var request = Longshot_V1_WatchEvents()
        request.jobID = job ?? ""
        request.after = after
        request.epoch = epoch
        request.waitMs = UInt32(clamping: wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
        guard case .eventBatch(let reply) = try await call(.watchEvents(request), timeout: wait + .seconds(10)) else {
            throw unexpected("WatchEvents")
        }
        return reply
    }

    /// Re-renders a job's failed windows or the given ones; returns the coordinator's message.
    public func rerun(_ id: String, failedOnly: Bool, windows: [UInt32]) async throws -> String {
        var request = Longshot_V1_Rerun()
        request.jobID = id
        request.failedOnly = failedOnly
        request.windows = windows
        return try acknowledgement(try await call(.rerun(request)), "Rerun")
    }

    /// Cancels a job; returns the coordinator's message.
    public func cancel(_ id: String) async throws -> String {
        var request = Longshot_V1_Cancel()
        request.jobID = id
        return try acknowledgement(try await call(.cancel(request)), "Cancel")
    }

    /// Deletes an ended job with its windows, logs and video; returns the coordinator's acknowledgement.
    public func delete(_ id: String) async throws -> String {
        var request = Longshot_V1_DeleteJob()
        request.jobID = id
        return try acknowledgement(try await call(.deleteJob(request)), "DeleteJob")
    }

    /// A job's log lines, optionally for one window, the last `tail` of them (0: the coordinator's default).
    public func logs(_ id: String, window: UInt32?, tail: Int) async throws -> Longshot_V1_Logs {
        var request = Longshot_V1_GetLogs()
        request.jobID = id
        if let window { request.window = window }
        request.tail = UInt32(clamping: tail)
        guard case .logs(let reply) = try await call(.getLogs(request)) else { throw unexpected("GetLogs") }
        return reply
    }

    /// Drains, blocks or unblocks a worker; returns the coordinator's message.
    public func administer(worker name: String, _ action: Longshot_V1_WorkerAdminAction) async throws -> String {
        var request = Longshot_V1_WorkerAdmin()
        request.name = name
        request.action = action
        return try acknowledgement(try await call(.workerAdmin(request)), "WorkerAdmin")
    }

    private func acknowledgement(_ body: Longshot_V1_Response.OneOf_Body, _ what: String) throws -> String {
        guard case .ack(let ack) = body else { throw unexpected(what) }
        return ack.message
    }

    private func unexpected(_ what: String) -> LocalClusterError {
        LocalClusterError("unexpected reply to \(what) from \(address)")
    }
}
