import Foundation

/// A codenoise group lease: windows `firstWindow..<firstWindow+windowCount` of a job, for every step from
/// `checkpointStep` on.
public struct GroupLease: Sendable, Hashable {
    public var leaseID: String
    public var jobID: String
    public var groupIndex: Int
    public var groupCount: Int
    public var firstWindow: Int
    public var windowCount: Int
    /// The job parameters as JSON text.
    public var spec: String
    public var expiresAt: Date
    public var attempt: Int
    /// The step the group resumes after (0: from its noise), and its fused latents then (nil at 0).
    public var checkpointStep: Int
    public var checkpoint: [UInt8]?
}

/// The group a lease currently holds.
public struct LeasedGroup: Sendable, Hashable {
    public var jobID: String
    public var index: Int
    public var firstWindow: Int
    public var windowCount: Int
    public var spec: String
    public var leasedAt: Date
}

/// A group as `show` reports it.
public struct GroupRecord: Sendable, Hashable {
    public var index: Int
    public var firstWindow: Int
    public var windowCount: Int
    public var state: WindowState
    public var attempts: Int
    public var leaseOwner: String?
    public var step: Int
    public var checkpointStep: Int

    static let columns = "index, first_window, window_count, state, attempts, lease_owner, step, checkpoint_step"

    init(row: PostgresRow) throws {
        index = try row.int("index")
        firstWindow = try row.int("first_window")
        windowCount = try row.int("window_count")
        state = try row.enumValue("state")
        attempts = try row.int("attempts")
        leaseOwner = try row.optionalString("lease_owner")
        step = try row.int("step")
        checkpointStep = try row.int("checkpoint_step")
    }
}

/// Splits `windows` windows into `groups` contiguous runs whose sizes differ by at most one.
public func groupSizes(windows: Int, groups: Int) -> [Int] {
    let g = max(1, min(groups, windows))
    return (0..<g).map { windows / g + ($0 < windows % g ? 1 : 0) }
}
