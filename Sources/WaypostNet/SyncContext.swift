import Logging
import WaypostCrypto
import WaypostStore
import WaypostSync

/// What every session of one process shares: the replica, the identity, the limits, the worker thread,
/// the logger, and (in `serve`) the registry of open sessions.
struct SyncContext: Sendable {
    let replica: SQLiteReplica
    let keys: SigningKeyPair
    let limits: SyncLimits
    let worker: ReplicaWorker
    let logger: Logger
    let registry: SessionRegistry?
}
