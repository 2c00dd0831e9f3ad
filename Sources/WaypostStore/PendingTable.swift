import Foundation
import GRDB
import WaypostCore

/// The `pending` table: changes received before their origin's earlier changes (bundles imported out
/// of order), or after its last signature, kept until what they need arrives. Nothing in it is part
/// of the replica's state; it is verified when it is applied.
enum PendingTable {
    static func load(_ origin: NodeID, _ db: Database, origins: OriginTable, keyring: Keyring) throws -> [UInt64: ChainedChange] {
        guard let id = origins.byNode[origin]?.id else { return [:] }
        var result: [UInt64: ChainedChange] = [:]
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT \(ChangeRow.columns), c.record_key, c.signature, c.digest FROM pending c WHERE c.origin = ?"),
            arguments: [id])
        for row in rows {
            let sequence: Int64 = row[1], collection: Int64 = row[3], recordText: String = row[4]
            let record = try ChangeRow.recordKey(collection, recordText)
            let data = associatedData(origin: id, sequence: sequence)
            let digest = (row[11] as Data?).map(Array.init)
            let value =
                digest != nil
                ? "" : try Keyring.value(inPadded: keyring.openRandomized(Array(row[7] as Data), of: record, associatedData: data + [1], db))
            let recordKey = try (row[9] as Data?).map { try keyring.openRandomized(Array($0), of: record, associatedData: data + [2], db) }
            let change = try ChangeRow.make(
                origin: id, sequence: sequence, timestamp: row[2], collection: collection, record: recordText, field: row[5],
                code: row[6], value: value, supersedes: (row[8] as Data?).map(Array.init),
                origins: origins)
            result[change.dot.sequence] = ChainedChange(
                change: change, recordKey: recordKey, signature: (row[10] as Data?).map(Array.init), digest: digest)
        }
        return result
    }

    /// What a pending value is bound to besides its record: its dot (origin row id and sequence, little-endian).
    private static func associatedData(origin: Int64, sequence: Int64) -> [UInt8] {
        withUnsafeBytes(of: origin.littleEndian) { Array($0) } + withUnsafeBytes(of: sequence.littleEndian) { Array($0) }
    }

    /// How many changes are held, from every origin.
    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM pending")) ?? 0
    }

    /// Makes `remaining` the origin's pending set, writing only what changed: the rows of `held` (the
    /// sequences the table had) that are no longer in `remaining` are deleted, and those of `written` (new,
    /// or replacing a held one) are written. The rest stay as they are, not rewritten.
    static func update(
        _ origin: NodeID, remaining: [UInt64: ChainedChange], held: Set<UInt64>, written: Set<UInt64>, _ db: Database,
        origins: inout OriginTable, keyring: Keyring
    ) throws {
        if remaining.isEmpty {
            if !held.isEmpty { try discard(origin, db, origins: &origins) }
            return
        }
        let id = try origins.id(of: origin, db)
        for sequence in held.subtracting(remaining.keys).sorted() {
            try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ? AND sequence = ?").execute(
                arguments: [id, Int64(bitPattern: sequence)])
        }
        for sequence in written.sorted() {
            guard let chained = remaining[sequence] else { continue }
            try insert(chained, origin: id, db, keyring: keyring)
        }
    }

    /// Makes `changes` the origin's whole pending set.
    static func replace(
        _ origin: NodeID, with changes: [UInt64: ChainedChange], _ db: Database, origins: inout OriginTable, keyring: Keyring
    ) throws {
        try discard(origin, db, origins: &origins)
        guard !changes.isEmpty else { return }
        let id = try origins.id(of: origin, db)
        for (_, chained) in changes.sorted(by: { $0.key < $1.key }) { try insert(chained, origin: id, db, keyring: keyring) }
    }

    /// Writes one held change, in place of any held at its sequence.
    private static func insert(_ chained: ChainedChange, origin id: Int64, _ db: Database, keyring: Keyring) throws {
        let change = chained.change
        let sequence = try StoredNumber.column(change.dot.sequence, "held-back change \(change.dot)'s sequence number")
        let record = FieldAddress.RecordKey(collection: change.collection, record: change.record)
        let data = associatedData(origin: id, sequence: sequence)
        let value =
            chained.digest != nil
            ? [] : try keyring.sealRandomized(Keyring.paddedValue(change.operation.argument), of: record, associatedData: data + [1], db)
        let recordKey = try chained.recordKey.map { try keyring.sealRandomized($0, of: record, associatedData: data + [2], db) }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO pending (origin, sequence, timestamp, collection, record, field, operation, value,
                                     supersedes, record_key, signature, digest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, sequence, Int64(bitPattern: change.timestamp.rawValue),
            Int64(change.collection.rawValue), change.record.text, change.field, ChangeRow.code(of: change.operation),
            Data(value), ChangeRow.encode(change.operation.supersedes),
            recordKey.map { Data($0) }, chained.signature.map { Data($0) }, chained.digest.map { Data($0) },
        ])
    }

    static func discard(_ origin: NodeID, _ db: Database, origins: inout OriginTable) throws {
        guard let id = origins.byNode[origin]?.id else { return }
        try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ?").execute(arguments: [id])
    }
}
