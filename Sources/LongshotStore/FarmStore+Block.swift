extension FarmStore {
    /// Blocks a worker from the whole farm: it gets no new leases (like a drain) and the leases it holds are
    /// taken back at once (outcome `cancelled`, not counted as an attempt), so other workers render them.
    /// - Returns: how many leases were taken back, nil when the id is unknown.
    public func blockWorker(workerID: String) throws -> Int? {
        try transaction { _ in
            guard try setWorkerDrain(workerID: workerID, true) else { return nil }
            return try releaseLeases(.worker(workerID), outcome: .cancelled, error: "worker blocked by an operator")
        }
    }
}
