import Foundation
import LongshotProtocol

extension Longshot_V1_JobSpec {
    /// The prompt, or the storyboard's shots joined with ` | `.
    public var promptText: String {
        prompt.isEmpty ? storyboard.map(\.prompt).joined(separator: " | ") : prompt
    }

    /// The job's parameters as a JSON object.
    public var jsonObject: [String: Any] {
        [
            "prompt": prompt,
            "storyboard": storyboard.map { ["start": $0.startSeconds, "end": $0.endSeconds, "prompt": $0.prompt] as [String: Any] },
            "duration": durationSeconds, "fps": Int(fps), "width": Int(width), "height": Int(height),
            "seed": seed, "steps": Int(steps), "window": Int(window), "overlap": Int(overlap), "fusion": fusion,
            "engine": engine, "shift": shift, "quality": Int(quality), "priority": Int(priority), "model": model,
            "guidance": hasGuidance ? guidance as Any : NSNull(), "negativePrompt": negativePrompt,
        ]
    }
}

extension Longshot_V1_JobDetail {
    /// The last line of `watch JOB --json`: `{"kind": "end", "job", "state" (succeeded, failed, cancelled),
    /// "error" (null when none), "windowsDone", "windowsTotal", "output" ({path, bytes} or null), "time"}`.
    public var endObject: [String: Any] {
        var object: [String: Any] = [
            "kind": "end", "job": id, "state": state.word, "error": JSONText.orNull(error.isEmpty ? nil : error),
            "windowsDone": windowsDone, "windowsTotal": windows.count,
            "time": JSONText.orNull(FarmTime.iso8601(ms: updatedAtMs)),
        ]
        object["output"] = outputPath.isEmpty ? NSNull() : ["path": outputPath, "bytes": outputBytes] as [String: Any]
        return object
    }

    /// Windows in the done state.
    public var windowsDone: Int { windows.filter { $0.state == .done }.count }

    /// The `show --json` object. Stable keys: `id`, `state` (queued, running, stitching, encoding, succeeded,
    /// failed, cancelled), `error` (null when none), `waiting` (why no worker can take its work; null when one can), `createdAt`, `updatedAt` (ISO-8601), `output {path, bytes}`
    /// (null until encoded), `spec {...}`, `windowsDone`, `windowsTotal`, and `windows[] {index, firstFrame,
    /// frames, state (pending, leased, done, failed), attempts, worker (null if none), durationMs, digest, error}`;
    /// codenoise jobs also `groups[] {index, windows [first, last], state, worker, step, steps, checkpointStep,
    /// attempts}` and `slowestGroupStep` (empty and null for independent jobs).
    public var jsonObject: [String: Any] {
        [
            "groups": groups.map { g -> [String: Any] in
                [
                    "index": Int(g.index), "windows": [Int(g.firstWindow), Int(g.firstWindow + g.windowCount) - 1],
                    "state": g.state.word, "worker": JSONText.orNull(g.worker.isEmpty ? nil : g.worker),
                    "step": Int(g.step), "steps": Int(g.steps), "checkpointStep": Int(g.checkpointStep),
                    "attempts": Int(g.attempts),
                ]
            },
            "slowestGroupStep": JSONText.orNull(groups.map { Int($0.step) }.min()),
            "id": id, "state": state.word, "error": JSONText.orNull(error.isEmpty ? nil : error),
            "waiting": JSONText.orNull(waiting.isEmpty ? nil : waiting),
            "createdAt": JSONText.orNull(FarmTime.iso8601(ms: createdAtMs)),
            "updatedAt": JSONText.orNull(FarmTime.iso8601(ms: updatedAtMs)),
            "output": outputPath.isEmpty ? NSNull() : ["path": outputPath, "bytes": outputBytes] as [String: Any],
            "spec": spec.jsonObject, "windowsDone": windowsDone, "windowsTotal": windows.count,
            "windows": windows.map { w -> [String: Any] in
                [
                    "index": Int(w.index), "firstFrame": Int(w.firstFrame), "frames": Int(w.frameCount),
                    "state": w.state.word, "attempts": Int(w.attempts),
                    "worker": JSONText.orNull(w.worker.isEmpty ? nil : w.worker), "durationMs": w.durationMs,
                    "digest": JSONText.orNull(w.digest.isEmpty ? nil : w.digest),
                    "error": JSONText.orNull(w.error.isEmpty ? nil : w.error),
                ]
            },
        ]
    }

    /// `show` for people: the job's fields, then a table of windows.
    public func text(now: Date = Date()) -> String {
        let s = spec
        var lines = [
            "job       \(id)",
            "state     \(state.word)" + (error.isEmpty ? "" : ": \(error)") + (waiting.isEmpty ? "" : " (waiting: \(waiting))"),
            "prompt    \(s.promptText.excerpt(100))",
            "video     \(String(format: "%g", s.durationSeconds)) s at \(s.fps) fps, \(s.width)x\(s.height), seed \(s.seed)",
            "render    \(s.engine)\(s.model.isEmpty || s.model == s.engine ? "" : " (\(s.model))"), \(s.steps) steps, shift \(String(format: "%g", s.shift)), window \(s.window) overlap \(s.overlap), \(s.fusion), priority \(s.priority)",
            "guidance  \(s.hasGuidance ? String(format: "%g", s.guidance) : "none (the engine's default)")" + (s.negativePrompt.isEmpty ? "" : ", negative prompt \"\(s.negativePrompt.excerpt(60))\""),
            "created   \(FarmTime.iso8601(ms: createdAtMs) ?? "-") (\(FarmTime.age(ms: createdAtMs, now: now)) ago)",
            "windows   \(windowsDone)/\(windows.count) done",
        ]
        if let slowest = groups.min(by: { $0.step < $1.step }) {
            lines.append("steps     slowest group \(slowest.index) at step \(slowest.step)/\(slowest.steps) (\(groups.count) groups)")
        }
        if !outputPath.isEmpty { lines.append("output    \(outputPath) (\(outputBytes) bytes; `longshot fetch \(id) -o FILE`)") }
        lines.append("")
        if !groups.isEmpty {
            var table = TextTable(["GROUP", "WINDOWS", "STATE", "STEP", "CHECKPOINT", "ATTEMPTS", "WORKER"])
            for g in groups {
                table.add([
                    String(g.index), "\(g.firstWindow)-\(g.firstWindow + max(g.windowCount, 1) - 1)", g.state.word,
                    "\(g.step)/\(g.steps)", g.checkpointStep == 0 ? "-" : "step \(g.checkpointStep)", String(g.attempts),
                    g.worker.isEmpty ? "-" : g.worker,
                ])
            }
            lines.append(table.text)
            lines.append("")
        }
        var table = TextTable(["WINDOW", "FRAMES", "STATE", "ATTEMPTS", "WORKER", "DURATION", "ERROR"])
        for w in windows {
            let last = w.firstFrame + max(w.frameCount, 1) - 1
            table.add([
                String(w.index), "\(w.firstFrame)-\(last) (\(w.frameCount))", w.state.word, String(w.attempts),
                w.worker.isEmpty ? "-" : w.worker, FarmTime.duration(ms: w.durationMs), w.error.excerpt(60),
            ])
        }
        lines.append(table.text)
        return lines.joined(separator: "\n")
    }
}

extension Longshot_V1_JobSummary {
    /// One entry of `jobs --json`: `id, state, prompt, duration, engine, priority, windowsDone, windowsTotal,
    /// createdAt, updatedAt`.
    public var jsonObject: [String: Any] {
        [
            "id": id, "state": state.word, "prompt": prompt, "duration": durationSeconds, "engine": engine,
            "priority": Int(priority), "windowsDone": Int(windowsDone), "windowsTotal": Int(windowsTotal),
            "groups": Int(groups), "slowestGroupStep": JSONText.orNull(groups > 0 ? Int(slowestGroupStep) : nil),
            "steps": Int(steps),
            "createdAt": JSONText.orNull(FarmTime.iso8601(ms: createdAtMs)),
            "updatedAt": JSONText.orNull(FarmTime.iso8601(ms: updatedAtMs)),
        ]
    }
}

extension Longshot_V1_JobSummary {
    /// A codenoise job's progress: the slowest group's steps and the number of groups ("-" otherwise).
    public var stepsText: String {
        groups == 0 ? "-" : "\(slowestGroupStep)/\(steps) (\(groups) groups)"
    }
}

extension Longshot_V1_JobList {
    /// `jobs` for people: id, state, windows done/total, age, prompt excerpt.
    public func text(now: Date = Date()) -> String {
        guard !jobs.isEmpty else { return "no jobs (submit one: longshot submit \"a red ball bouncing\")" }
        var table = TextTable(["JOB", "STATE", "WINDOWS", "STEPS", "AGE", "PROMPT"])
        for j in jobs {
            table.add([
                j.id, j.state.word, "\(j.windowsDone)/\(j.windowsTotal)", j.stepsText, FarmTime.age(ms: j.createdAtMs, now: now),
                j.prompt.excerpt(50),
            ])
        }
        return table.text
    }
}

extension Longshot_V1_LogLine {
    /// `logs --json` entry: `time` (ISO-8601), `level`, `job`, `window` (or null), `worker`, `message`.
    public var jsonObject: [String: Any] {
        [
            "time": JSONText.orNull(FarmTime.iso8601(ms: timeMs)), "level": level, "job": jobID,
            "window": JSONText.orNull(hasWindow ? Int(window) : nil), "worker": worker, "message": message,
        ]
    }

    /// One line: time, level, window, worker, message.
    public var text: String {
        var parts = [FarmTime.iso8601(ms: timeMs) ?? "-", level.isEmpty ? "info" : level]
        if hasWindow { parts.append("window \(window)") }
        if !worker.isEmpty { parts.append(worker) }
        return parts.joined(separator: " ") + ": " + message
    }
}
