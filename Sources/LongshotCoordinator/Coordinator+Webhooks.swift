import Foundation
import LongshotDigest
import LongshotJob
import LongshotStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Webhooks: each job's end state POSTed as JSON to the cluster's `--webhook` URLs and to the job's own
/// (`submit --notify URL`, allowed by `--webhook-allow`). The database's `jobs_ended` trigger records
/// every ending in the transaction that made it; this loop turns endings into calls and makes them, each
/// on a task of its own, retried with exponential back-off (1 s doubling to 10 min, 12 tries), so a slow or
/// dead receiver never holds the coordinator up, and a coordinator restart loses no call.
extension Coordinator {
    /// Tries per call before giving up (about 1 h 20 min of back-off in all).
    static let webhookTries = 12

    func webhookLoop() async {
        // Without webhooks (none for the cluster, none a job may name) there is nothing to call: endings
        // are only cleared, and that can wait.
        let pause: Duration = config.webhooks.isEmpty && config.webhookAllow.isEmpty ? .seconds(10) : .milliseconds(500)
        while !Task.isCancelled, !isStopped {
            do {
                let urls = config.webhooks
                try await database.run { store in
                    try store.expandJobEndings(clusterURLs: urls) { job, endedAt in Self.webhookPayload(job, endedAt: endedAt) }
                }
                let due = try await database.run { try $0.takeDueNotifications(limit: 32, lease: .seconds(60)) }
                for call in due { Task { await deliver(call) } }
            } catch {
                log.error("webhooks: \(error)")
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// One call: a 2xx answer within 10 s delivers it; anything else is tried again later.
    private func deliver(_ call: NotificationRecord) async {
        guard let url = URL(string: call.url) else { return }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = Data(call.payload.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("job.ended", forHTTPHeaderField: "X-Longshot-Event")
        request.setValue(String(call.id), forHTTPHeaderField: "X-Longshot-Delivery")
        request.setValue("longshot/\(config.version)", forHTTPHeaderField: "User-Agent")
        if let secret = config.webhookSecret {
            request.setValue("sha256=" + HMAC.sha256Hex(key: secret, message: Array(call.payload.utf8)), forHTTPHeaderField: "X-Longshot-Signature")
        }
        let problem: String?
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            problem = (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch {
            problem = error.localizedDescription
        }
        let tries = call.attempts + 1
        do {
            if let problem {
                let giveUp = tries >= Self.webhookTries
                let pause = Duration.seconds(min(600, 1 << min(tries - 1, 10)))
                try await database.run { try $0.notificationFailed(id: call.id, error: problem, retryAfter: pause, giveUp: giveUp) }
                if giveUp {
                    log.error("webhook for job \(call.jobID) to \(call.url): gave up after \(tries) tries (\(problem))")
                } else {
                    log.info("webhook for job \(call.jobID) to \(call.url): \(problem); try \(tries + 1) in \(pause)")
                }
            } else {
                try await database.run { try $0.notificationDelivered(id: call.id) }
                log.info("webhook for job \(call.jobID) delivered to \(call.url)")
            }
        } catch {
            log.error("webhook for job \(call.jobID): \(error)")
        }
    }

    /// The JSON body of a job's end-state call.
    static func webhookPayload(_ job: JobRecord, endedAt: Date) -> String {
        let spec = try? JSONDecoder().decode(JobSpec.self, from: Data(job.spec.utf8))
        var body: [String: Any] = [
            "event": "job.ended", "job": job.id, "state": job.state.rawValue, "windows": job.windowCount,
            "submittedAt": job.createdAt.formatted(.iso8601), "endedAt": endedAt.formatted(.iso8601),
        ]
        if let error = job.error { body["error"] = error }
        if let owner = job.owner { body["owner"] = owner }
        if let bytes = job.outputBytes { body["videoBytes"] = bytes }
        if let digest = job.outputSHA256 { body["videoSHA256"] = digest }
        if let spec {
            body["prompt"] = spec.shots.first?.prompt ?? ""
            body["engine"] = spec.engine
            body["durationSeconds"] = spec.duration
        }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Refuses a job's webhook URL unless it is http(s) and starts with one of `--webhook-allow`'s prefixes.
    func checkNotifyURL(_ text: String) throws(RequestError) -> String? {
        guard !text.isEmpty else { return nil }
        guard text.utf8.count <= 2048, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else {
            throw RequestError(.invalidArgument, "notify: '\(text.prefix(200))' is not an http:// or https:// URL")
        }
        guard config.webhookAllow.contains(where: { text.hasPrefix($0) }) else {
            let allowed = config.webhookAllow.isEmpty ? "allows none (start it with --webhook-allow PREFIX)" : "allows only URLs starting with \(config.webhookAllow.joined(separator: ", "))"
            throw RequestError(.invalidArgument, "notify: \(text.prefix(200)) is not allowed: this coordinator \(allowed)")
        }
        return text
    }
}

/// HMAC-SHA256 (RFC 2104) over ``SHA256``.
enum HMAC {
    static func sha256Hex(key: [UInt8], message: [UInt8]) -> String {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.hash(block.map { $0 ^ 0x36 } + message)
        return SHA256.hex(block.map { $0 ^ 0x5c } + inner)
    }
}
