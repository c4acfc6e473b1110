extension FarmStore {
    /// Blocks a worker from the whole farm: it gets no new leases (like a drain) and the leases it holds are
    /// taken back at once (outcome `cancelled`, not counted as an attempt), so other workers render them.
    /// - Returns: how many leases were taken back, nil when the id is unknown.
    public func blockWorker(workerID: String) throws -> Int? {
        try transaction { db in
            guard try db.query("UPDATE workers SET drain = true, blocked = true WHERE id = $1", [.text(workerID)]).affectedRows == 1
            else { return nil }
            try refreshWorkerState(workerID)
            return try releaseLeases(.worker(workerID), outcome: .cancelled, error: "worker blocked by an operator")
        }
    }
}
