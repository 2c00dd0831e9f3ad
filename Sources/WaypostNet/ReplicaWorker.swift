import NIOPosix

/// Runs replica work (SQLite, verification) on one thread of its own, so that the event loops and Swift's
/// cooperative threads never block on the database, and batches from several peers apply one at a time.
struct ReplicaWorker: Sendable {
    let pool: NIOThreadPool

    /// Runs `body` on the worker thread. Once started, a job runs to the end even if the caller is
    /// cancelled, so a batch in flight is committed or rolled back whole, never cut off.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
