import LongshotProtocol
import LongshotStore

extension JobState {
    var wire: Longshot_V1_JobState {
        switch self {
        case .queued: .queued
        case .running: .running
        case .stitching: .stitching
        case .encoding: .encoding
        case .succeeded: .succeeded
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    init?(wire: Longshot_V1_JobState) {
        switch wire {
        case .queued: self = .queued
        case .running: self = .running
        case .stitching: self = .stitching
        case .encoding: self = .encoding
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        default: return nil
        }
    }
}

extension WindowState {
    var wire: Longshot_V1_WindowState {
        switch self {
        case .pending: .pending
        case .leased: .leased
        case .done: .done
        case .failed: .failed
        }
    }
}

extension WorkerState {
    var wire: Longshot_V1_WorkerState {
        switch self {
        case .idle: .idle
        case .busy: .busy
        case .draining: .draining
        case .blocked: .blocked
        case .offline: .offline
        }
    }
}
