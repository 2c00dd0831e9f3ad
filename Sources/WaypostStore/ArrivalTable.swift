import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

/// The `arrivals` table: when this node learned of the changes a local rule must not take the writer's
/// word for (`Protocol/replica.md` §11). Today those are the assigns of a case's `status`: a retention
/// period counts from when this node learned of the closing, not from the timestamp its writer put on it,
/// so that a node whose clock is set years back (or that lies) cannot have a case erased network-wide the
/// moment an admin's retention runs.
///
/// Each row carries a tag keyed with the storage key over its origin's node id, sequence and time, so
/// that someone who can write the file but lacks the passphrase cannot backdate an arrival either.
enum ArrivalTable {
    /// Whether the time `change` arrives is kept.
    static func keepsArrival(of change: Change) -> Bool {
        change.collection == .caseFile && change.field == RetentionPolicy.statusField
    }

    /// The `meta` key of the time before which no arrival was kept (when migration `v9-arrivals` ran, or
    /// the replica was made): changes without a row count as learned then.
    static let floorKey = "arrivals.since"

    static func tag(node: NodeID, sequence: UInt64, learnedAt: UInt64, key: StorageKey) -> [UInt8] {
        var message = Array("waypost/arrival/v1".utf8) + [0] + node.bytes
        withUnsafeBytes(of: sequence.bigEndian) { message += $0 }
        withUnsafeBytes(of: learnedAt.bigEndian) { message += $0 }
        return key.bytes.withUnsafeBytes { Blake2b.hash(message, outputLength: 16, key: Array($0)) }
    }

    /// Records that the change at `sequence` of `node` (local origin number `origin`) arrived at `learnedAt`.
    static func record(
        origin: Int64, node: NodeID, sequence: UInt64, learnedAt: UInt64, key: StorageKey, _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO arrivals (origin, sequence, learned_at, tag) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [
            origin, Int64(bitPattern: sequence), Int64(bitPattern: learnedAt),
            Data(tag(node: node, sequence: sequence, learnedAt: learnedAt, key: key)),
        ])
    }

    /// When this node learned of the change at `sequence` of the origin numbered `origin`: its row, else
    /// the floor.
    ///
    /// - Throws: ``StoreError`` `tampered` for a row whose tag does not match.
    static func learnedAt(origin: Int64, sequence: UInt64, key: StorageKey, _ db: Database) throws -> UInt64 {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT a.learned_at, a.tag, o.node FROM arrivals a JOIN origins o ON o.id = a.origin
                WHERE a.origin = ? AND a.sequence = ?
                """, arguments: [origin, Int64(bitPattern: sequence)])
        guard let row else {
            return UInt64(bitPattern: try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [floorKey]) ?? 0)
        }
        let learnedAt = UInt64(bitPattern: row[0] as Int64)
        let node = NodeID(bytes: Array(row[2] as Data))
        guard Array(row[1] as Data) == tag(node: node, sequence: sequence, learnedAt: learnedAt, key: key) else {
            throw StoreError.tampered("when this node learned of change \(node.short):\(sequence) (table 'arrivals') was altered")
        }
        return learnedAt
    }
}
