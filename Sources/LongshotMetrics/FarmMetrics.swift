import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The farm's metrics, recorded through swift-metrics and exported in Prometheus's text format.
///
/// A process that serves `/metrics` calls ``bootstrap()`` once at start; until then (and in the tests'
/// own processes) every metric is a no-op. Names and labels are documented in docs/operations.md.
public enum FarmMetrics {
    /// Where this process's metrics are kept once bootstrapped.
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Leases, steps, windows and database calls take from milliseconds to minutes.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
            .seconds(300),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Sends every metric of this process to ``registry`` (once; later calls do nothing).
    public static func bootstrap() { _ = bootstrapped }

    /// Creates the coordinator's counters and histograms at zero, so `/metrics` lists them before the
    /// first event (a dashboard's "no failures" is a 0, not a missing series).
    public static func registerCoordinatorMetrics() {
        for kind in ["window", "group", "segment"] {
            _ = Counter(label: "longshot_lease_grants_total", dimensions: [("kind", kind)])
            _ = Counter(label: "longshot_attempt_failures_total", dimensions: [("kind", kind)])
        }
        for kind in ["window", "group"] { _ = Metrics.Timer(label: "longshot_window_seconds", dimensions: [("kind", kind)]) }
        for what in ["results", "halos", "segments", "video"] { _ = Counter(label: "longshot_bytes_total", dimensions: [("what", what)]) }
        _ = Metrics.Timer(label: "longshot_step_barrier_wait_seconds")
        _ = Metrics.Timer(label: "longshot_database_seconds")
        _ = Counter(label: "longshot_database_errors_total")
    }

    /// Creates the worker's lease counters at zero (engine metrics appear as engines load).
    public static func registerWorkerMetrics() {
        for outcome in ["done", "failed"] {
            for kind in ["window", "group", "segment"] {
                _ = Counter(label: "longshot_worker_leases_total", dimensions: [("outcome", outcome), ("kind", kind)])
            }
        }
    }

    /// The metrics in Prometheus's text exposition format.
    public static func exposition() -> [UInt8] { registry.emitToBuffer() }

    // MARK: Coordinator

    /// Jobs by state (`state`), read from the database once a second.
    public static func jobs(_ counts: [String: Int]) { set("longshot_jobs", counts, label: "state") }
    /// Windows of unfinished jobs by state (`state`).
    public static func windows(_ counts: [String: Int]) { set("longshot_windows", counts, label: "state") }
    /// Workers by state (`state`).
    public static func workers(_ counts: [String: Int]) { set("longshot_workers", counts, label: "state") }

    /// A lease granted (`kind`: window, group, segment).
    public static func leaseGranted(_ kind: String) {
        Counter(label: "longshot_lease_grants_total", dimensions: [("kind", kind)]).increment()
    }

    /// A window's (or group's) lease from grant to stored result.
    public static func windowDone(after duration: Duration, kind: String) {
        Metrics.Timer(label: "longshot_window_seconds", dimensions: [("kind", kind)]).record(duration: duration)
    }

    /// A failed attempt (`kind`: window, group, segment).
    public static func attemptFailed(_ kind: String) {
        Counter(label: "longshot_attempt_failures_total", dimensions: [("kind", kind)]).increment()
    }

    /// How long a codenoise group waited at a step barrier for its neighbours.
    public static func stepBarrierWait(_ duration: Duration) {
        Metrics.Timer(label: "longshot_step_barrier_wait_seconds").record(duration: duration)
    }

    /// Bytes received from workers (`what`: results, halos, checkpoints, segments) or sent (`what`: video).
    public static func bytes(_ count: Int, _ what: String) {
        Counter(label: "longshot_bytes_total", dimensions: [("what", what)]).increment(by: count)
    }

    /// One database call (a transaction or a query) and whether it failed.
    public static func database(_ duration: Duration, failed: Bool) {
        Metrics.Timer(label: "longshot_database_seconds").record(duration: duration)
        if failed { Counter(label: "longshot_database_errors_total").increment() }
    }

    /// Requests answered, by body (`request`) and outcome (`outcome`: ok or the error code).
    public static func request(_ name: String, outcome: String) {
        Counter(label: "longshot_requests_total", dimensions: [("request", name), ("outcome", outcome)]).increment()
    }

    // MARK: Worker

    /// A step of an engine (`engine`).
    public static func step(_ duration: Duration, engine: String) {
        Metrics.Timer(label: "longshot_worker_step_seconds", dimensions: [("engine", engine)]).record(duration: duration)
    }

    /// A lease a worker finished (`outcome`: done, failed, lost).
    public static func workerLease(_ outcome: String, kind: String) {
        Counter(label: "longshot_worker_leases_total", dimensions: [("outcome", outcome), ("kind", kind)]).increment()
    }

    /// An engine loaded (`engine`), and how long it took.
    public static func engineLoaded(_ engine: String, after duration: Duration) {
        Metrics.Timer(label: "longshot_engine_load_seconds", dimensions: [("engine", engine)]).record(duration: duration)
    }

    /// An engine's resident memory in bytes (`engine`; its process group for external engines).
    public static func engineMemory(_ engine: String, bytes: Int) {
        Gauge(label: "longshot_engine_resident_bytes", dimensions: [("engine", engine)]).record(bytes)
    }

    /// Free lease slots of this worker.
    public static func freeSlots(_ count: Int) { Gauge(label: "longshot_worker_free_slots").record(count) }

    // MARK: -

    /// Sets a gauge per value of `label`, zero for those not in `counts` that were set before.
    private static func set(_ name: String, _ counts: [String: Int], label: String) {
        let seen = known.withLock { known -> Set<String> in
            known[name, default: []].formUnion(counts.keys)
            return known[name]!
        }
        for value in seen { Gauge(label: name, dimensions: [(label, value)]).record(counts[value] ?? 0) }
    }

    private static let known = Mutex<[String: Set<String>]>([:])
}
