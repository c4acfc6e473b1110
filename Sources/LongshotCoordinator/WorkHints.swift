import Synchronization

/// Remembers that a kind of work (decode segments, codenoise groups) was looked for and not found, so
/// that a worker's pull need not ask the database again until work may have appeared.
///
/// Every path that makes work schedulable announces it (``EventBus/publishWorkAvailable(_:)``), which
/// bumps the generation and so forgets every "none". A "none" also goes stale after `horizon`, a bound on
/// what a path that forgot to announce can cost. Only a saving: the database stays the truth.
final class WorkHints: Sendable {
    enum Kind: Int, CaseIterable, Sendable {
        case segments, groups
    }

    private struct Empty {
        var generation: UInt64
        var at: ContinuousClock.Instant
    }

    private let generation = Atomic<UInt64>(0)
    private let empty = Mutex<[Kind: Empty]>([:])
    let horizon: Duration

    init(horizon: Duration = .milliseconds(500)) { self.horizon = horizon }

    /// Work may have appeared: ask the database next time.
    func workAppeared() { generation.add(1, ordering: .relaxed) }

    /// The generation to pass to ``foundNone(_:since:)`` for a lookup starting now.
    var current: UInt64 { generation.load(ordering: .relaxed) }

    /// False when a lookup of `kind` found nothing recently and nothing was announced since.
    func mayHave(_ kind: Kind) -> Bool {
        guard let none = empty.withLock({ $0[kind] }) else { return true }
        return none.generation != current || ContinuousClock.now - none.at > horizon
    }

    /// A lookup of `kind` that started at generation `since` found nothing.
    func foundNone(_ kind: Kind, since: UInt64) {
        empty.withLock { $0[kind] = Empty(generation: since, at: .now) }
    }
}
