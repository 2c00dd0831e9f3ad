public import Logging
import NIOCore
import NIOPosix
public import WaypostCore
public import WaypostCrypto
public import WaypostStore
public import WaypostSync

/// `waypost sync`: one connection to one peer, until both sides are caught up.
public enum SyncClient {
    /// Dials `address`, syncs both ways until neither side has anything the other lacks, and closes.
    ///
    /// - Parameters:
    ///   - expected: the node that must answer there (a named peer), or nil to accept any node this one
    ///     trusts.
    ///   - onProgress: called after every batch each way.
    /// - Throws: ``SyncError``: unreachable, refused, untrusted, wrong peer, or a broken protocol; every
    ///   batch committed before the failure stays committed.
    public static func sync(
        replica: SQLiteReplica, keys: SigningKeyPair, address: PeerAddress, expected: NodeID?, limits: SyncLimits = .standard,
        logger: Logger, onProgress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws -> SyncProgress {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer {
            pool.shutdownGracefully { _ in }
            group.shutdownGracefully { _ in }
        }
        let context = SyncContext(
            replica: replica, keys: keys, limits: limits, worker: ReplicaWorker(pool: pool), logger: logger, registry: nil)
        let connection = try await SyncService.connect(to: address, group: group, limits: limits)
        var session = SyncSession(context: context, side: .initiator(expected: expected), mode: .untilCaughtUp, address: address.description)
        session.onProgress = onProgress
        return try await session.run(connection)
    }
}
