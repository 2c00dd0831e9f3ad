import Foundation
import GRDB
import WaypostCore

/// The `pending` table: changes received before their origin's earlier changes (bundles imported out
/// of order), or after its last signature, kept until what they need arrives. Nothing in it is part
/// of the replica's state; it is verified when it is applied.
enum PendingTable {
    static func load(_ origin: NodeID, _ db: Database, origins: OriginTable) throws -> [UInt64: ChainedChange] {
        guard let id = origins.byNode[origin]?.id else { return [:] }
        var result: [UInt64: ChainedChange] = [:]
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT \(ChangeRow.columns), c.record_key, c.signature FROM pending c WHERE c.origin = ?"),
            arguments: [id])
        for row in rows {
            let change = try ChangeRow.decode(row, origins: origins)
            result[change.dot.sequence] = ChainedChange(
                change: change, recordKey: (row[9] as Data?).map(Array.init), signature: (row[10] as Data?).map(Array.init))
        }
        return result
    }

    /// Makes `changes` the origin's whole pending set.
    static func replace(_ origin: NodeID, with changes: [UInt64: ChainedChange], _ db: Database, origins: inout OriginTable)
        throws
    {
        try discard(origin, db, origins: &origins)
        guard !changes.isEmpty else { return }
        let id = try origins.id(of: origin, db)
        for (_, chained) in changes.sorted(by: { $0.key < $1.key }) {
            let change = chained.change
            try db.cachedStatement(
                sql: """
                    INSERT INTO pending (origin, sequence, timestamp, collection, record, field, operation, value,
                                         supersedes, record_key, signature)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                id, Int64(change.dot.sequence), Int64(bitPattern: change.timestamp.rawValue),
                Int64(change.collection.rawValue), change.record.text, change.field, ChangeRow.code(of: change.operation),
                change.operation.argument, ChangeRow.encode(change.operation.supersedes),
                chained.recordKey.map { Data($0) }, chained.signature.map { Data($0) },
            ])
        }
    }

    static func discard(_ origin: NodeID, _ db: Database, origins: inout OriginTable) throws {
        guard let id = origins.byNode[origin]?.id else { return }
        try db.cachedStatement(sql: "DELETE FROM pending WHERE origin = ?").execute(arguments: [id])
    }
}
