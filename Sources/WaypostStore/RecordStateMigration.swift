import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

/// Migration `v7-record-state`: each record's live values and the dots overwritten before they arrived
/// move from the `live` and `superseded` tables (a row per value) into its ``RecordState``, in its
/// `shown` row (one row per record), and those two tables are dropped.
///
/// It opens the values, so it needs the storage key, unless the replica holds none.
enum RecordStateMigration {
    static func migrate(_ db: Database, storageKey: StorageKey?) throws {
        let held = try Int.fetchOne(db, sql: "SELECT (SELECT COUNT(*) FROM live) + (SELECT COUNT(*) FROM superseded)") ?? 0
        if held > 0 {
            guard let storageKey else {
                throw StoreError(
                    .locked,
                    "this replica was written by an earlier version of Waypost and must be converted once with its key; "
                        + "run a command that asks for the passphrase (for example 'waypost case list')")
            }
            let keyring = Keyring(storageKey)
            let keys = try Row.fetchAll(
                db,
                sql: """
                    SELECT collection, record FROM live UNION SELECT collection, record FROM superseded
                    ORDER BY collection, record
                    """)
            for row in keys {
                let collectionCode: Int64 = row[0], record: String = row[1]
                guard let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: collectionCode)) else {
                    throw StoreError(.database, "a live value names collection \(collectionCode); the replica is damaged")
                }
                let key = FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record))
                var state = try RecordStateRow.load(key, db, keyring: keyring) ?? RecordState()
                let values = try Row.fetchAll(
                    db, sql: "SELECT origin, sequence, timestamp, value, field FROM live WHERE collection = ? AND record = ?",
                    arguments: [collectionCode, record])
                for value in values {
                    let origin: Int64 = value[0], sequence: Int64 = value[1], timestamp: Int64 = value[2], field: String = value[4]
                    let sealed: Data = value[3]
                    let place = Keyring.Place(record: key, origin: origin, sequence: sequence, field: field, timestamp: timestamp)
                    let plain = try sealed.withUnsafeBytes { try keyring.openValue($0, at: place, db) }
                    state.arrive(
                        RecordState.StoredValue(
                            dot: RecordState.StoredDot(origin: origin, sequence: UInt64(sequence)),
                            timestamp: UInt64(bitPattern: timestamp), value: plain),
                        field: field)
                }
                let dots = try Row.fetchAll(
                    db, sql: "SELECT origin, sequence, field FROM superseded WHERE collection = ? AND record = ?",
                    arguments: [collectionCode, record])
                for dot in dots {
                    state.supersede(
                        RecordState.StoredDot(origin: dot[0], sequence: UInt64(dot[1] as Int64)), field: dot[2])
                }
                try RecordStateRow.save(state, of: key, db, keyring: keyring)
            }
        }
        try db.execute(sql: "DROP TABLE live; DROP TABLE superseded")
    }
}
