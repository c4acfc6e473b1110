import Foundation
import LongshotProtocol

extension Longshot_V1_ClusterStatus {
    /// The `status --json` object. Stable keys (scripts rely on them):
    /// `coordinator {pid, host, version, startedAt, uptimeSeconds, listen, events}`,
    /// `workers[] {name, host, pid, state, engine, slots, current, lastSeen, lastSeenMs, id, engines[] {name,
    /// loaded, loads, residentBytes, gpuBytes}}` (engine: the engines' names, comma-separated) where
    /// `current` is `"JOB/WINDOW"` or null and `lastSeen` is ISO-8601 UTC (null if never seen),
    /// `activeJobs[]` (running jobs, as in `jobs --json`, with `groups` and `slowestGroupStep` for codenoise),
    /// and `queue {queued, running, stitching, encoding, succeeded, failed, cancelled, windowsPending, windowsLeased}`.
    public func jsonObject(now: Date = Date()) -> [String: Any] {
        let c = coordinator
        let uptime = c.startedAtMs > 0 ? max(0, now.timeIntervalSince1970 - Double(c.startedAtMs) / 1000) : 0
        return [
            "coordinator": [
                "pid": Int(c.pid), "host": c.host, "version": c.version,
                "startedAt": JSONText.orNull(FarmTime.iso8601(ms: c.startedAtMs)),
                "uptimeSeconds": Int(uptime), "listen": c.listen, "events": c.events,
            ] as [String: Any],
            "workers": workers.map { w -> [String: Any] in
                [
                    "name": w.name, "host": w.host, "pid": Int(w.pid), "state": w.state.word, "engine": w.engine,
                    "slots": Int(w.slots), "current": JSONText.orNull(w.hasCurrent && !w.current.isEmpty ? w.current : nil),
                    "lastSeen": JSONText.orNull(FarmTime.iso8601(ms: w.lastSeenMs)), "lastSeenMs": w.lastSeenMs,
                    "id": w.workerID,
                    "engines": w.engines.map { e -> [String: Any] in
                        [
                            "name": e.name, "loaded": e.loaded, "loads": Int(e.loads), "residentBytes": Int(e.residentBytes),
                            "gpuBytes": Int(e.gpuBytes),
                        ]
                    },
                ]
            },
            "activeJobs": activeJobs.map { $0.jsonObject },
            "queue": [
                "queued": Int(queue.queued), "running": Int(queue.running), "stitching": Int(queue.stitching),
                "encoding": Int(queue.encoding), "succeeded": Int(queue.succeeded), "failed": Int(queue.failed),
                "cancelled": Int(queue.cancelled), "windowsPending": Int(queue.windowsPending),
                "windowsLeased": Int(queue.windowsLeased),
            ],
        ]
    }

    /// `status` for people: the coordinator, the queue and a table of workers.
    public func text(now: Date = Date()) -> String {
        let c = coordinator
        let uptime = c.startedAtMs > 0 ? FarmTime.age(ms: c.startedAtMs, now: now) : "-"
        var lines = [
            "coordinator  pid \(c.pid) on \(c.host), version \(c.version), up \(uptime)",
            "             control \(c.listen), events \(c.events)",
            "jobs         queued \(queue.queued), running \(queue.running), stitching \(queue.stitching), encoding \(queue.encoding), succeeded \(queue.succeeded), failed \(queue.failed), cancelled \(queue.cancelled)",
            "windows      pending \(queue.windowsPending), leased \(queue.windowsLeased)",
        ]
        for job in activeJobs {
            let progress = job.groups > 0 ? "slowest of \(job.groups) groups at step \(job.slowestGroupStep)/\(job.steps)" : "\(job.windowsTotal) windows"
            lines.append("running      \(job.id): \(progress), \(job.prompt.excerpt(40))")
        }
        lines.append("")
        if workers.isEmpty {
            lines.append("no workers (start some: `longshot up --workers N`, or `longshot worker --coordinator ADDRESS`)")
        } else {
            lines.append(workersTable(now: now))
        }
        return lines.joined(separator: "\n")
    }

    /// The workers table: name, host, pid, state, engine, slots, current window, last seen.
    public func workersTable(now: Date = Date()) -> String {
        var table = TextTable(["WORKER", "HOST", "PID", "STATE", "ENGINE", "SLOTS", "CURRENT", "LAST SEEN"])
        for w in workers {
            table.add([
                w.name, w.host, String(w.pid), w.state.word, Self.engines(w), String(w.slots),
                w.hasCurrent && !w.current.isEmpty ? w.current : "-",
                w.lastSeenMs > 0 ? FarmTime.age(ms: w.lastSeenMs, now: now) + " ago" : "-",
            ])
        }
        return table.text
    }

    /// A worker's engines for the table: each name, with its process's memory when loaded (`wan 1.2 GB`).
    static func engines(_ w: Longshot_V1_WorkerInfo) -> String {
        guard !w.engines.isEmpty else { return w.engine }
        return w.engines.map { e in
            guard e.loaded else { return "\(e.name) (idle)" }
            var memory: [String] = []
            if e.residentBytes > 0 { memory.append(String(format: "%.1f GB", Double(e.residentBytes) / 1e9)) }
            if e.gpuBytes > 0 { memory.append(String(format: "GPU %.1f GB", Double(e.gpuBytes) / 1e9)) }
            return memory.isEmpty ? e.name : "\(e.name) \(memory.joined(separator: ", "))"
        }.joined(separator: ", ")
    }
}
