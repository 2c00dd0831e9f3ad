import Foundation
import GRDB
public import WaypostCore
public import WaypostCrypto

/// What `waypost backup` and `waypost restore` need of the replica (`Protocol/backup.md`).
extension SQLiteReplica {
    /// Writes a consistent copy of the replica to `path` with `VACUUM INTO`
    /// (https://sqlite.org/lang_vacuum.html#vacuuminto), which reads in one transaction and so may run while
    /// another process (`serve`) writes: never a byte copy of a live WAL database.
    ///
    /// The file is made here first, empty and mode 0600 (SQLite accepts an empty file as the target), so
    /// the copy is never readable by others, whatever the umask.
    ///
    /// - Throws: ``StoreError`` `alreadyExists` if `path` exists, `diskFull`, `database`.
    public func snapshot(into path: String) throws(StoreError) {
        try SQLiteReplica.createOwnerOnlyFile(path, existing: "\(path) exists already; remove it and try again")
        try SQLiteReplica.run {
            try database.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        }
    }

    /// Makes the snapshot at `path` (from a backup) a replica again, **gated**: WAL mode set, its schema and
    /// trust rows checked by opening it with `storageKey`, and its write gate (``WriteGate``) set to
    /// restored, so that it signs nothing until ``resumeWrites()``.
    ///
    /// - Returns: the node the replica belongs to, and the last of its own changes it holds.
    /// - Throws: ``StoreError`` as ``open(at:storageKey:schema:wallClock:maximumPageCount:verifyingTrustRows:pendingLimits:)``
    ///   does: `tampered` for a schema or trust row not Waypost's, `damaged` for a key that is not its own.
    public static func gateRestored(at path: String, storageKey: StorageKey) throws(StoreError) -> (
        node: NodeID, sequence: UInt64
    ) {
        // VACUUM INTO writes a rollback-journal database; the replica lives in WAL mode (set once, kept in
        // the header: https://sqlite.org/wal.html#persistence_of_wal_mode).
        try run {
            let queue = try DatabaseQueue(path: path)
            try queue.inDatabase { db in
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw StoreError(.database, "the restored replica at \(path) cannot use write-ahead logging")
                }
            }
            try queue.close()
        }
        let replica = try open(at: path, storageKey: storageKey)
        let node = replica.localNode
        let sequence = try replica.versions()[node]
        try replica.write { db in try WriteGate.write(.restored, sequence: sequence, node: node, key: storageKey, db) }
        try replica.closeDatabase()
        return (node, sequence)
    }

    /// Closes the database, checkpointing its WAL (the last connection to close removes the `-wal` file).
    public func closeDatabase() throws(StoreError) {
        try SQLiteReplica.run { try database.close() }
    }

    /// The write gate: whether the node was restored and not yet resumed, and the sequence it records
    /// (``WriteGate``).
    ///
    /// - Throws: ``StoreError`` `locked` without the storage key, `tampered` for a missing or altered gate.
    public func writeGate() throws(StoreError) -> (restored: Bool, sequence: UInt64) {
        let key = try unlockedStorageKey()
        let node = localNode
        let gate = try read { db in try WriteGate.read(db, node: node, key: key) }
        return (gate.state == .restored, gate.sequence)
    }

    /// Throws the error a local write would meet if the node may not sign now: restored and not resumed,
    /// or its gate missing or altered. For use cases that sign outside the replica's own writes
    /// (certificates).
    public func requireWritable() throws(StoreError) {
        let key = try unlockedStorageKey()
        let node = localNode
        try read { db in try WriteGate.requireOpen(db, node: node, key: key) }
    }

    /// Opens the write gate (`waypost restore --resume`): this node signs again, its next change numbered
    /// one past the last of its own changes it holds now, which it returns. Opening a gate that is open
    /// already, or missing (a replica made before the gate), is allowed: it states the same number.
    ///
    /// - Throws: ``StoreError`` `locked` without the storage key; `invalid` while changes of this node's own
    ///   are held waiting for earlier ones (`pending`): one of those earlier ones exists somewhere, and the
    ///   next local change would take its number.
    public func resumeWrites() throws(StoreError) -> UInt64 {
        let key = try unlockedStorageKey()
        let node = localNode
        return try write { db in
            let origin = try Int64.fetchOne(
                db, sql: "SELECT id FROM origins WHERE node = ?", arguments: [Data(node.bytes)])
            let held = UInt64(
                try Int64.fetchOne(
                    db, sql: "SELECT sequence FROM origins WHERE node = ?", arguments: [Data(node.bytes)]) ?? 0)
            if let origin,
                let waiting = try Int64.fetchOne(
                    db, sql: "SELECT max(sequence) FROM pending WHERE origin = ?", arguments: [origin])
            {
                throw StoreError(
                    .invalid,
                    "this replica holds changes of this node's own up to \(waiting) waiting for earlier ones (it holds up "
                        + "to \(held)): those exist on a peer; sync with the peers that hold them, then resume; the gate stays closed"
                )
            }
            try WriteGate.write(.open, sequence: held, node: node, key: key, db)
            return held
        }
    }
}
