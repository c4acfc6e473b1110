import Foundation
import LongshotAuth
import LongshotDigest
import LongshotProtocol
import LongshotStore

/// Who sent a request: the credential's identity and, for a worker past registration, the worker its
/// session belongs to.
struct Caller: Sendable {
    var identity: Identity
    var workerID: String?

    /// Refuses unless the caller is an admin or the owner of `job`. Jobs from before credentials had names
    /// have no owner: only admins may change them.
    func mayChange(_ job: JobRecord, _ verb: String) throws(RequestError) {
        guard identity.role == .admin || (identity.role == .client && job.owner == identity.name) else {
            let owner = job.owner.map { "was submitted by \($0)" } ?? "predates named credentials"
            throw RequestError(.permissionDenied, "\(verb): job \(job.id) \(owner); only its submitter or an admin may \(verb) it")
        }
    }
}

extension Longshot_V1_Request.OneOf_Body {
    /// The roles that may send this request. Everyone may ask for the cluster's status (workers read the
    /// events address from it).
    var allowedRoles: Set<Role> {
        switch self {
        case .registerWorker, .heartbeat, .acquireLease, .renewLease, .reportProgress, .reportResult, .reportFailure,
            .stepExchange, .saveCheckpoint, .reportPreview, .pullWork:
            return [.worker]
        case .getStatus: return [.worker, .client, .admin]
        case .workerAdmin: return [.admin]
        case .submitJob, .listJobs, .showJob, .rerun, .cancel, .deleteJob, .fetchVideo, .getLogs, .watchEvents, .getPreview:
            return [.client, .admin]
        }
    }

    /// The request's name in refusals.
    var verb: String {
        switch self {
        case .registerWorker: "register a worker"
        case .heartbeat: "heartbeat"
        case .acquireLease: "take leases"
        case .renewLease: "renew leases"
        case .reportProgress: "report progress"
        case .reportResult: "upload results"
        case .reportFailure: "report failures"
        case .stepExchange: "exchange steps"
        case .saveCheckpoint: "save checkpoints"
        case .reportPreview: "send previews"
        case .pullWork: "pull work"
        case .getStatus: "read the status"
        case .workerAdmin: "drain, block or unblock workers"
        case .submitJob: "submit jobs"
        case .listJobs: "list jobs"
        case .showJob: "show jobs"
        case .rerun: "rerun jobs"
        case .cancel: "cancel jobs"
        case .deleteJob: "delete jobs"
        case .fetchVideo: "fetch videos"
        case .getLogs: "read logs"
        case .watchEvents: "watch events"
        case .getPreview: "read previews"
        }
    }

    /// The lease a worker request acts on, if it names one.
    var leaseID: String? {
        switch self {
        case .renewLease(let r): r.leaseID
        case .reportProgress(let r): r.leaseID
        case .reportResult(let r): r.leaseID
        case .reportFailure(let r): r.leaseID
        case .stepExchange(let r): r.leaseID
        case .saveCheckpoint(let r): r.leaseID
        case .reportPreview(let r): r.leaseID
        default: nil
        }
    }

    /// The worker id a worker request names itself by, if it does.
    var claimedWorkerID: String? {
        switch self {
        case .heartbeat(let r): r.workerID
        case .acquireLease(let r): r.workerID
        case .pullWork(let r): r.workerID
        default: nil
        }
    }
}

extension Coordinator {
    /// The identity behind a header's credential, or the error to answer.
    func authenticate(_ header: Longshot_V1_Header) throws(RequestError) -> Identity {
        guard !header.token.isEmpty else {
            throw RequestError(.unauthenticated, "missing credential (set LONGSHOT_TOKEN, or LONGSHOT_WORKER_TOKEN for a worker)")
        }
        guard let identity = config.credentials.identify(header.token) else {
            throw RequestError(.unauthenticated, "unknown credential: the coordinator has no such worker, client or admin token")
        }
        return identity
    }

    /// Checks that `identity` may send `body` and, for a registered worker's request, that its session is
    /// current and the worker and lease it names are its own.
    func authorize(_ body: Longshot_V1_Request.OneOf_Body, header: Longshot_V1_Header, identity: Identity) async throws -> Caller {
        guard body.allowedRoles.contains(identity.role) else {
            throw RequestError(.permissionDenied, "\(identity) may not \(body.verb)")
        }
        var caller = Caller(identity: identity)
        guard identity.role == .worker, !body.isRegistration else { return caller }
        let hash = SHA256.hex(Array(header.session.utf8))
        var workerID = sessions.withLock { $0[hash] }
        if workerID == nil, let found = try await database.run({ try $0.workerID(sessionSHA256: hash) }) {
            workerID = found
            sessions.withLock { $0[hash] = found }
        }
        guard let workerID else {
            // Not `unauthenticated`: a worker that hears this registers again (its record was replaced).
            throw RequestError(.notFound, "unknown worker session (the worker registered again elsewhere, or was removed): register again")
        }
        caller.workerID = workerID
        if let claimed = body.claimedWorkerID, claimed != workerID {
            throw RequestError(.permissionDenied, "this session belongs to worker \(workerID), not \(claimed)")
        }
        if let lease = body.leaseID {
            var holder = leaseHolders.withLock { $0[lease] }
            if holder == nil, let found = try await database.run({ try $0.leaseHolder(leaseID: lease) }) {
                holder = found
                leaseHolders.withLock { cache in
                    if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
                    cache[lease] = found
                }
            }
            guard let holder else { throw RequestError(.leaseLost, "lease \(lease) is unknown: drop the work") }
            guard holder == workerID else {
                log.error("worker \(workerID) (\(identity)) sent \(body.verb) for lease \(lease) of worker \(holder): refused")
                throw RequestError(.permissionDenied, "lease \(lease) was granted to another worker")
            }
        }
        return caller
    }

    /// A new session secret for a registering worker, and its SHA-256 (what the database keeps).
    static func newSession() -> (secret: String, sha256: String) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        return (secret, SHA256.hex(Array(secret.utf8)))
    }
}

extension Longshot_V1_Request.OneOf_Body {
    var isRegistration: Bool {
        if case .registerWorker = self { return true }
        return false
    }
}
