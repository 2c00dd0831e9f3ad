import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

/// Whether this node may sign new changes and directives (`Protocol/backup.md` §4): the row
/// `meta` `writes.gate`, authenticated under the storage key.
///
/// A node restored from a backup may have signed, after the backup was taken, changes the backup does not
/// hold. Signing again under those sequence numbers would be equivocation (two different chains under one
/// origin), so a restored replica is **gated**: it receives changes (sync, bundles, serve) but signs
/// nothing until an admin, after syncing with its peers, opens it with `waypost restore --resume`.
///
/// The value is `state` (1 byte: `00` open, `01` restored) ‖ `u64be(sequence)` ‖ a 32-byte tag, BLAKE2b-256
/// keyed with the storage key over `waypost/write-gate/v1` ‖ `00` ‖ the node id (32 bytes) ‖ state ‖
/// `u64be(sequence)`. For a restored replica the sequence is the one of this node's changes that the backup
/// held; for an open one, the last this node held when it was opened (0 for a new replica).
///
/// Local writes are refused unless the row is present, its tag matches and its state is open: deleting
/// the row, or rewriting it, with `sqlite3` (without the passphrase) does not open the gate. (A replica
/// from before the gate has no row and counts as open: see ``read(_:node:key:)``.)
package enum WriteGate {
    /// The gate's state.
    package enum State: UInt8, Sendable {
        /// Local writes are allowed.
        case open = 0
        /// Restored from a backup: local writes wait for `restore --resume`.
        case restored = 1
    }

    /// The `meta` key of the row.
    static let metaKey = "writes.gate"
    static let domain = Array("waypost/write-gate/v1".utf8) + [0]
    static let tagLength = 32
    static let valueLength = 1 + 8 + tagLength

    /// The row's value for `state` and `sequence`.
    static func value(_ state: State, sequence: UInt64, node: NodeID, key: StorageKey) -> [UInt8] {
        let body = [state.rawValue] + bigEndian(sequence)
        return body + tag(body, node: node, key: key)
    }

    static func tag(_ body: [UInt8], node: NodeID, key: StorageKey) -> [UInt8] {
        key.bytes.withUnsafeBytes { keyBytes in
            Blake2b.hash(domain + node.bytes + body, outputLength: tagLength, key: Array(keyBytes))
        }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    /// Writes the row, in the caller's transaction.
    static func write(_ state: State, sequence: UInt64, node: NodeID, key: StorageKey, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [metaKey, Data(value(state, sequence: sequence, node: node, key: key))])
    }

    /// The gate as the row says, after checking its tag.
    ///
    /// A replica made before the gate existed has no row, and no trust-row tags either (``TrustSeal``, of
    /// the same version): it counts as open, so that upgrading does not stop every node from writing. A
    /// replica that has trust-row tags was made (or sealed) by a Waypost that writes the gate too: there a
    /// missing row was deleted, and is refused.
    ///
    /// - Throws: ``StoreError`` `tampered` for a row whose tag does not match or whose length is wrong, and
    ///   for a missing row in a replica that has trust-row tags.
    static func read(_ db: Database, node: NodeID, key: StorageKey) throws -> (state: State, sequence: UInt64) {
        guard let stored = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [metaKey])
        else {
            let tagged = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM meta WHERE key LIKE 'trust.tag.%')") ?? false
            if !tagged { return (.open, 0) }
            throw StoreError(
                .tampered,
                "this replica holds no authenticated write permit (meta 'writes.gate'): it was made before Waypost "
                    + "could restore backups, or the row was deleted outside Waypost; nothing was written; if this node "
                    + "was not restored from a backup, or has synced with its peers since, run 'waypost restore --resume'"
            )
        }
        let bytes = Array(stored)
        guard bytes.count == valueLength, let state = State(rawValue: bytes[0]),
            Array(bytes[(valueLength - tagLength)...])
                == tag(Array(bytes[..<(valueLength - tagLength)]), node: node, key: key)
        else {
            throw StoreError.tampered(
                "this replica's write permit (meta 'writes.gate') does not match its authentication tag")
        }
        let sequence = bytes[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (state, sequence)
    }

    /// Throws unless this node may sign: the gate is present, authentic and open.
    static func requireOpen(_ db: Database, node: NodeID, key: StorageKey) throws {
        let gate = try read(db, node: node, key: key)
        guard gate.state == .open else { throw StoreError.restored(backupHeld: gate.sequence) }
    }
}

extension StoreError {
    /// The error for a local write on a node restored from a backup and not yet resumed.
    static func restored(backupHeld sequence: UInt64) -> StoreError {
        StoreError(
            .restored,
            "this node was restored from a backup (which held its changes up to \(sequence)) and signs nothing until "
                + "it has caught up: sync with its peers ('waypost sync PEER' or 'bundle import'), then run "
                + "'waypost restore --resume'; nothing was written")
    }
}
