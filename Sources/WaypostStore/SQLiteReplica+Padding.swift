import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

extension SQLiteReplica {
    /// What padding costs this replica (``PaddingCost``): every sealed value and record document opened and
    /// measured as stored and as it would be unpadded. Reads everything; for the benchmark, not for commands.
    ///
    /// - Throws: ``StoreError`` `locked` without the storage key; `damaged` for anything that does not open.
    package func paddingCost() throws(StoreError) -> PaddingCost {
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            var cost = PaddingCost()
            let tag = ValueCipher.tagByteCount
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT origin, sequence, timestamp, collection, record, field, value FROM changes WHERE digest IS NULL"
            ) {
                let sealed = Array(row[6] as Data)
                guard !sealed.isEmpty else { continue }
                let place = Keyring.Place(
                    record: try ChangeRow.recordKey(row[3], row[4]), origin: row[0], sequence: row[1], field: row[5],
                    timestamp: row[2])
                let value = try sealed.withUnsafeBytes { try keyring.openValue($0, at: place, db) }
                cost.values += sealed.count
                cost.unpaddedValues += value.utf8.count + tag
            }
            for row in try Row.fetchAll(db, sql: "SELECT collection, record, doc FROM shown") {
                let sealed = Array(row[2] as Data)
                let record = try ChangeRow.recordKey(row[0], row[1])
                let state = try RecordState(
                    decoding: try keyring.openRandomized(sealed, of: record, associatedData: [], db))
                cost.documents += sealed.count
                cost.unpaddedDocuments += ValueCipher.nonceByteCount + state.encoded(padded: false).count + tag
                cost.records += 1
            }
            return cost
        }
    }
}
