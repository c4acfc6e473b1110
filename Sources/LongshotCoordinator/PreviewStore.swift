import Foundation
import LongshotProtocol
import Synchronization

/// The newest preview of each window (or codenoise group) of each job, in memory only: previews are
/// lossy hints for the dashboard, so a restart loses them and the next step's preview replaces them.
///
/// Bounded: a preview is at most ``maxBytes``, and past ``capacity`` bytes in all the jobs whose
/// previews changed longest ago are dropped.
final class PreviewStore: Sendable {
    static let maxBytes = 512 << 10
    static let capacity = 64 << 20

    struct Key: Hashable, Sendable {
        var index: Int
        var group: Bool
    }

    private struct State {
        var jobs: [String: [Key: Longshot_V1_Preview]] = [:]
        var touched: [String: UInt64] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Keeps `preview` unless one of the same window or group from a later step is held.
    func put(_ preview: Longshot_V1_Preview) {
        let key = Key(index: Int(preview.index), group: preview.group)
        state.withLock { s in
            if let old = s.jobs[preview.jobID]?[key] {
                guard old.step <= preview.step else { return }
                s.bytes -= old.png.count
            }
            s.jobs[preview.jobID, default: [:]][key] = preview
            s.bytes += preview.png.count
            s.clock += 1
            s.touched[preview.jobID] = s.clock
            while s.bytes > Self.capacity, let oldest = s.touched.min(by: { $0.value < $1.value })?.key, oldest != preview.jobID {
                s.bytes -= s.jobs[oldest]?.values.reduce(0) { $0 + $1.png.count } ?? 0
                s.jobs[oldest] = nil
                s.touched[oldest] = nil
            }
        }
    }

    func get(job: String, index: Int, group: Bool) -> Longshot_V1_Preview? {
        state.withLock { $0.jobs[job]?[Key(index: index, group: group)] }
    }

    /// What is held for `job`, without the pixels.
    func list(job: String) -> [Longshot_V1_PreviewInfo] {
        state.withLock { s in
            (s.jobs[job] ?? [:]).values.sorted { ($0.group ? 1 : 0, $0.index) < ($1.group ? 1 : 0, $1.index) }.map { p in
                .with {
                    $0.index = p.index
                    $0.group = p.group
                    $0.step = p.step
                    $0.timeMs = p.timeMs
                }
            }
        }
    }

    /// Forgets `job`'s previews (deleted, or rerun from step 0).
    func drop(job: String) {
        state.withLock { s in
            s.bytes -= s.jobs[job]?.values.reduce(0) { $0 + $1.png.count } ?? 0
            s.jobs[job] = nil
            s.touched[job] = nil
        }
    }
}
