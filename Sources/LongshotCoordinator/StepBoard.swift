import Foundation
import LongshotProtocol

/// The codenoise step barrier: the coordinator relays what groups post at each step (every window's
/// evidence before the step, boundary pieces after it) to the groups that need it, and keeps it from the
/// job's checkpoint floor on, so a group that resumes from its checkpoint replays with the same inputs.
///
/// It lives in memory only: a restarted coordinator rolls every unfinished codenoise job back to its floor
/// (see `FarmStore.rollBackRunningGroups`), so nothing here needs to survive. Payloads stay in wire form:
/// the coordinator checks shapes and relays bytes, it never computes with them.
actor StepBoard {
    private struct JobBoard {
        var evidence: [Int: [Int: [Double]]] = [:]
        var pieces: [Int: [Int: Longshot_V1_WindowPiece]] = [:]
        var floor = 0
        /// Payload bytes posted (first copies), and the steps seen.
        var postedBytes = 0
        var steps: Set<Int> = []
    }

    /// What the barrier relayed for a job: payload bytes posted (halos and evidence) and steps.
    struct Traffic: Sendable {
        var bytes: Int
        var steps: Int
        var bytesPerStep: Int { steps > 0 ? bytes / steps : 0 }
    }

    /// What a waiting group needs of a step: every window's evidence, or some windows' pieces.
    enum Need: Sendable {
        case evidence(windows: Int)
        case pieces([Int])
    }

    enum Collected: Sendable {
        case evidence([Longshot_V1_WindowEvidence])
        case pieces([Longshot_V1_WindowPiece])
    }

    private struct Waiter {
        var step: Int
        var need: Need
        var continuation: CheckedContinuation<Void, Never>
        /// Resumes the waiter at its deadline; cancelled when it is woken sooner.
        var timer: Task<Void, Never>?
    }

    private var jobs: [String: JobBoard] = [:]
    /// Requests waiting for a step, woken only once what they need has arrived (or at their deadline).
    private var waiters: [String: [UUID: Waiter]] = [:]
    /// Posts whose payload differed from what was already on the board for that step and window: a
    /// nondeterministic engine (logged; the first post is kept).
    private(set) var mismatches = 0

    /// Stores a group's part of `step` (keeping the first copy of anything posted twice) and wakes waiters.
    /// - Returns: the windows whose repost differed from the first post.
    @discardableResult
    func post(job: String, step: Int, evidence: [Longshot_V1_WindowEvidence], pieces: [Longshot_V1_WindowPiece]) -> [Int] {
        var board = jobs[job] ?? JobBoard()
        var differing: [Int] = []
        guard step >= board.floor else { return [] }
        for e in evidence {
            let w = Int(e.windowIndex)
            if let old = board.evidence[step]?[w] {
                if old != e.values { differing.append(w) }
            } else {
                board.evidence[step, default: [:]][w] = e.values
                board.postedBytes += e.values.count * 8
            }
        }
        for p in pieces {
            let w = Int(p.windowIndex)
            if let old = board.pieces[step]?[w] {
                if old != p { differing.append(w) }
            } else {
                board.pieces[step, default: [:]][w] = p
                board.postedBytes += p.latents.data.count
            }
        }
        board.steps.insert(step)
        jobs[job] = board
        mismatches += differing.count
        wake(job, step: step)
        return differing
    }

    /// What `need` asks of `step`, once it has all been posted; else waits for it until `deadline`.
    /// - Returns: nil when it is still incomplete at the deadline (or the job was dropped).
    func collect(job: String, step: Int, need: Need, until deadline: ContinuousClock.Instant) async -> Collected? {
        if let found = lookup(job: job, step: step, need: need) { return found }
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let timer = Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled else { return }
                await self?.resume(job: job, id: id)
            }
            waiters[job, default: [:]][id] = Waiter(step: step, need: need, continuation: continuation, timer: timer)
        }
        return lookup(job: job, step: step, need: need)
    }

    private func lookup(job: String, step: Int, need: Need) -> Collected? {
        switch need {
        case .evidence(let windows):
            guard let posted = jobs[job]?.evidence[step], posted.count >= windows else { return nil }
            return .evidence((0..<windows).compactMap { w in
                posted[w].map { values in .with { $0.windowIndex = UInt32(w); $0.values = values } }
            })
        case .pieces(let windows):
            guard !windows.isEmpty else { return .pieces([]) }
            guard let posted = jobs[job]?.pieces[step] else { return nil }
            var found: [Longshot_V1_WindowPiece] = []
            for w in windows {
                guard let piece = posted[w] else { return nil }
                found.append(piece)
            }
            return .pieces(found)
        }
    }

    /// Forgets every step before `floor` (no group can resume before its checkpoint, and none is older).
    func setFloor(job: String, _ floor: Int) {
        guard var board = jobs[job], floor > board.floor else { return }
        board.floor = floor
        for step in board.evidence.keys where step < floor { board.evidence[step] = nil }
        for step in board.pieces.keys where step < floor { board.pieces[step] = nil }
        jobs[job] = board
    }

    /// Forgets a job (finished, cancelled, rerun or rolled back) and releases its waiters.
    /// - Returns: what was relayed for it since this coordinator started.
    @discardableResult
    func drop(job: String) -> Traffic? {
        let board = jobs.removeValue(forKey: job)
        wake(job)
        return board.map { Traffic(bytes: $0.postedBytes, steps: $0.steps.count) }
    }

    /// Wakes the job's waiters (those of `step` whose needs are now met, or all without a step).
    private func wake(_ job: String, step: Int? = nil) {
        guard let pending = waiters[job] else { return }
        for (id, waiter) in pending where step == nil || (waiter.step == step && lookup(job: job, step: waiter.step, need: waiter.need) != nil) {
            waiters[job]?.removeValue(forKey: id)
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
        if waiters[job]?.isEmpty == true { waiters[job] = nil }
    }

    private func resume(job: String, id: UUID) {
        guard let waiter = waiters[job]?.removeValue(forKey: id) else { return }
        if waiters[job]?.isEmpty == true { waiters[job] = nil }
        waiter.continuation.resume()
    }
}
