import Foundation
import GRDB
import WaypostCore
import WaypostTrust

extension ApplyContext {
    /// Carries out an erase directive this node has just accepted (`Protocol/trust.md` §7,
    /// `Protocol/replica.md` §9.4), inside the transaction that stores it:
    /// - every change of the record keeps only its value's digest (computed now, with the origin's chain
    ///   record key), so each origin's chain stays verifiable and can still be passed on;
    /// - its state (the `shown` row: live and shown values), its pending changes and its `records` row are
    ///   deleted;
    /// - its own key is deleted from `record_vault`, so any copy of its sealed values left anywhere can no
    ///   longer be opened.
    ///
    /// `secure_delete` zeroes what is deleted; the caller checkpoints the WAL once the transaction commits.
    /// Changes to the record that arrive later keep only their digests too (``applyNext(_:head:recordKey:signature:digest:_:)``).
    mutating func erase(_ record: FieldAddress.RecordKey, _ db: Database) throws {
        let collection = Int64(record.collection.rawValue)
        let text = record.record.text
        var digests: [(origin: Int64, sequence: Int64, digest: [UInt8])] = []
        try db.cachedStatement(
            sql: """
                SELECT \(ChangeRow.columns), c.digest FROM changes c
                WHERE c.collection = ? AND c.record = ? AND c.digest IS NULL
                """
        ).forEachRow(.integer(collection), .text(text)) { row in
            let change = try ChangeRow.decode(row, origins: origins, keyring: keyring, db)
            let address = RecordKeyAddress(origin: change.dot.origin, collection: change.collection, record: change.record)
            guard let chainKey = try recordKey(address, db) else {
                throw StoreError(.database, "a change of the record to erase has no record key; the replica is damaged")
            }
            digests.append(
                (row.integer(0), row.integer(1), ChangeChain.valueDigest(change.operation.argument, recordKey: chainKey)))
        }
        let update = try db.cachedStatement(sql: "UPDATE changes SET value = X'', digest = ? WHERE origin = ? AND sequence = ?")
        for entry in digests { try update.run(.blob(entry.digest), .integer(entry.origin), .integer(entry.sequence)) }
        for table in ["shown", "pending", "records", "record_vault"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE collection = ? AND record = ?", arguments: [collection, text])
        }
        keyring.forget(record)
        touched[record] = nil
        if lastTouch?.key == record { lastTouch = nil }
        erased.insert(record)
    }
}
