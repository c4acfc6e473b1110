import Foundation

/// One row of `jobs`.
public struct JobRecord: Sendable, Hashable {
    public var id: String
    public var state: JobState
    /// The job parameters as JSON text (stored as `jsonb`, so key order and spacing may differ from the input).
    public var spec: String
    public var priority: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var error: String?
    public var outputPath: String?
    public var outputBytes: Int64?
    public var outputSHA256: String?
    public var windowCount: Int
    public var frames: Int
    /// The credential name that submitted the job (nil for jobs from before credentials had names).
    public var owner: String?
    /// The window results were deleted once the video was stored (a rerun renders every window).
    public var resultsPruned: Bool

    static let columns = """
        id, state, spec::text AS spec, priority, extract(epoch FROM created_at)::float8 AS created_at,
        extract(epoch FROM updated_at)::float8 AS updated_at, error, output_path, output_bytes, output_sha256,
        window_count, frames, owner, results_pruned
        """

    init(row: PostgresRow) throws {
        id = try row.string("id")
        state = try row.enumValue("state")
        spec = try row.string("spec")
        priority = try row.int("priority")
        createdAt = try row.date("created_at")
        updatedAt = try row.date("updated_at")
        error = try row.optionalString("error")
        outputPath = try row.optionalString("output_path")
        outputBytes = try row.optionalInt64("output_bytes")
        outputSHA256 = try row.optionalString("output_sha256")
        windowCount = try row.int("window_count")
        frames = try row.int("frames")
        owner = try row.optionalString("owner")
        resultsPruned = try row.string("results_pruned") == "t"
    }
}

/// Where a window sits in a job's latent frames, as planned at submission.
public struct WindowSpan: Sendable, Hashable {
    public var index: Int
    public var firstFrame: Int
    public var frameCount: Int

    /// Creates a span.
    public init(index: Int, firstFrame: Int, frameCount: Int) {
        self.index = index
        self.firstFrame = firstFrame
        self.frameCount = frameCount
    }
}

/// One row of `windows`, without the result bytes (see ``FarmStore/windowResults(jobID:)``).
public struct WindowRecord: Sendable, Hashable {
    public var jobID: String
    public var index: Int
    public var firstFrame: Int
    public var frameCount: Int
    public var state: WindowState
    /// Leases granted so far (reset to 0 by a rerun).
    public var attempts: Int
    public var maxAttempts: Int
    /// The window is not leased before this time (retry backoff).
    public var notBefore: Date
    public var leaseID: String?
    /// The worker holding the lease.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// The size of the stored result, nil when there is none.
    public var resultSize: Int?
    public var resultDigest: String?
    public var durationMs: Int64?
    public var updatedAt: Date

    static let columns = """
        job_id, index, first_frame, frame_count, state, attempts, max_attempts,
        extract(epoch FROM not_before)::float8 AS not_before, lease_id, lease_owner,
        extract(epoch FROM lease_expires_at)::float8 AS lease_expires_at, octet_length(result) AS result_size,
        result_digest, duration_ms, extract(epoch FROM updated_at)::float8 AS updated_at
        """

    init(row: PostgresRow) throws {
        jobID = try row.string("job_id")
        index = try row.int("index")
        firstFrame = try row.int("first_frame")
        frameCount = try row.int("frame_count")
        state = try row.enumValue("state")
        attempts = try row.int("attempts")
        maxAttempts = try row.int("max_attempts")
        notBefore = try row.date("not_before")
        leaseID = try row.optionalString("lease_id")
        leaseOwner = try row.optionalString("lease_owner")
        leaseExpiresAt = try row.optionalDate("lease_expires_at")
        resultSize = try row.optionalInt("result_size")
        resultDigest = try row.optionalString("result_digest")
        durationMs = try row.optionalInt64("duration_ms")
        updatedAt = try row.date("updated_at")
    }
}

/// A finished window's stored latents.
public struct WindowResult: Sendable, Hashable {
    public var index: Int
    public var bytes: [UInt8]
    public var digest: String?

    /// Creates a result.
    public init(index: Int, bytes: [UInt8], digest: String?) {
        self.index = index
        self.bytes = bytes
        self.digest = digest
    }
}

/// Which windows ``FarmStore/rerun(jobID:windows:)`` resets.
public enum RerunSelection: Sendable, Hashable {
    /// Every window of the job.
    case all
    /// Only the windows in state `failed`.
    case failedOnly
    /// The windows with these indices.
    case windows([Int])
}
