import Foundation
import GRDB
import WaypostCore
import WaypostCrypto

/// Migration `v4-vault`: values encrypted at rest (`Protocol/replica.md` §9).
///
/// Adds `record_vault`, gives `changes`, `live` and `pending` BLOB value columns (STRICT tables cannot
/// change a column's type, so each is rebuilt), and seals every value already held, the chain record
/// keys and the shown values. It needs the storage key for that, unless the replica holds no values.
/// The caller vacuums afterwards, so the plaintext does not linger in free pages or the WAL.
enum VaultMigration {
    static func migrate(_ db: Database, storageKey: StorageKey?) throws {
        let held = try Int.fetchOne(
            db, sql: "SELECT (SELECT COUNT(*) FROM changes) + (SELECT COUNT(*) FROM pending) + (SELECT COUNT(*) FROM shown)") ?? 0
        guard held == 0 || storageKey != nil else {
            throw StoreError(
                .locked,
                "this replica was written before values were encrypted at rest; run a command that asks for the passphrase "
                    + "(for example 'waypost case list') once, and it will be encrypted")
        }
        let keyring = Keyring(storageKey ?? StorageKey.random())
        try db.execute(
            sql: """
                DROP VIEW IF EXISTS cases;
                DROP VIEW IF EXISTS services;
                CREATE TABLE record_vault (
                    collection INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    key BLOB NOT NULL,
                    PRIMARY KEY (collection, record)
                ) STRICT, WITHOUT ROWID;
                ALTER TABLE changes RENAME TO plain_changes;
                ALTER TABLE live RENAME TO plain_live;
                ALTER TABLE pending RENAME TO plain_pending;
                ALTER TABLE shown RENAME TO plain_shown;
                DROP INDEX changes_by_record;
                DROP INDEX shown_conflicted;
                CREATE TABLE shown (
                    collection INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    doc BLOB NOT NULL,
                    conflicted INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (collection, record)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX shown_conflicted ON shown (conflicted) WHERE conflicted > 0;
                CREATE TABLE changes (
                    origin INTEGER NOT NULL REFERENCES origins(id),
                    sequence INTEGER NOT NULL,
                    timestamp INTEGER NOT NULL,
                    collection INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    field TEXT NOT NULL,
                    operation INTEGER NOT NULL,
                    value BLOB NOT NULL,
                    supersedes BLOB,
                    digest BLOB,
                    PRIMARY KEY (origin, sequence)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX changes_by_record ON changes (collection, record);
                CREATE TABLE live (
                    collection INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    field TEXT NOT NULL,
                    origin INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    timestamp INTEGER NOT NULL,
                    value BLOB NOT NULL,
                    PRIMARY KEY (collection, record, field, origin, sequence)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE pending (
                    origin INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    timestamp INTEGER NOT NULL,
                    collection INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    field TEXT NOT NULL,
                    operation INTEGER NOT NULL,
                    value BLOB NOT NULL,
                    supersedes BLOB,
                    record_key BLOB,
                    signature BLOB,
                    digest BLOB,
                    PRIMARY KEY (origin, sequence)
                ) STRICT, WITHOUT ROWID;
                """)
        guard held > 0 else {
            try db.execute(sql: "DROP TABLE plain_changes; DROP TABLE plain_live; DROP TABLE plain_pending; DROP TABLE plain_shown")
            return
        }
        try sealChanges(db, keyring)
        try sealLive(db, keyring)
        try sealPending(db, keyring)
        try sealChainKeys(db, keyring)
        try sealShown(db, keyring)
        try db.execute(sql: "DROP TABLE plain_changes; DROP TABLE plain_live; DROP TABLE plain_pending; DROP TABLE plain_shown")
    }

    private static func record(_ row: Row, collection: Int, record: Int) throws -> FieldAddress.RecordKey {
        try ChangeRow.recordKey(row[collection], row[record])
    }

    private static func sealChanges(_ db: Database, _ keyring: Keyring) throws {
        let insert = try db.makeStatement(
            sql: """
                INSERT INTO changes (origin, sequence, timestamp, collection, record, field, operation, value, supersedes, digest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM plain_changes")
        while let row = try rows.next() {
            let place = Keyring.Place(
                record: try record(row, collection: 3, record: 4), origin: row["origin"], sequence: row["sequence"],
                field: row["field"], timestamp: row["timestamp"])
            let sealed = try keyring.sealValue(row["value"], at: place, db)
            try insert.execute(arguments: [
                row["origin"], row["sequence"], row["timestamp"], row["collection"], row["record"], row["field"], row["operation"],
                Data(sealed), row["supersedes"], row["digest"],
            ])
        }
    }

    private static func sealLive(_ db: Database, _ keyring: Keyring) throws {
        let insert = try db.makeStatement(
            sql: "INSERT INTO live (collection, record, field, origin, sequence, timestamp, value) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM plain_live")
        while let row = try rows.next() {
            let place = Keyring.Place(
                record: try record(row, collection: 0, record: 1), origin: row["origin"], sequence: row["sequence"],
                field: row["field"], timestamp: row["timestamp"])
            let sealed = try keyring.sealValue(row["value"], at: place, db)
            try insert.execute(arguments: [
                row["collection"], row["record"], row["field"], row["origin"], row["sequence"], row["timestamp"], Data(sealed),
            ])
        }
    }

    private static func sealPending(_ db: Database, _ keyring: Keyring) throws {
        var origins = try OriginTable(db)
        var byOrigin: [NodeID: [UInt64: ChainedChange]] = [:]
        let rows = try Row.fetchAll(db, sql: "SELECT \(ChangeRow.columns), c.record_key, c.signature FROM plain_pending c")
        for row in rows {
            let change = try ChangeRow.make(
                origin: row[0], sequence: row[1], timestamp: row[2], collection: row[3], record: row[4], field: row[5], code: row[6],
                value: row[7], supersedes: (row[8] as Data?).map(Array.init), origins: origins)
            byOrigin[change.dot.origin, default: [:]][change.dot.sequence] = ChainedChange(
                change: change, recordKey: (row[9] as Data?).map(Array.init), signature: (row[10] as Data?).map(Array.init))
        }
        for (origin, changes) in byOrigin {
            try PendingTable.replace(origin, with: changes, db, origins: &origins, keyring: keyring)
        }
    }

    private static func sealChainKeys(_ db: Database, _ keyring: Keyring) throws {
        let update = try db.makeStatement(sql: "UPDATE record_keys SET key = ? WHERE origin = ? AND collection = ? AND record = ?")
        for row in try Row.fetchAll(db, sql: "SELECT origin, collection, record, key, introduced FROM record_keys") {
            let sealed = try keyring.sealChainKey(
                Array(row[3] as Data), of: record(row, collection: 1, record: 2), origin: row[0], introduced: row[4])
            try update.execute(arguments: [Data(sealed), row[0], row[1], row[2]])
        }
    }

    private static func sealShown(_ db: Database, _ keyring: Keyring) throws {
        var documents: [FieldAddress.RecordKey: ShownDocument] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT collection, record, field, value, conflicted FROM plain_shown") {
            let value: SQLValue
            switch (row[3] as DatabaseValue).storage {
            case .int64(let number): value = .integer(number)
            case .double(let number): value = .real(number)
            case .string(let text): value = .text(text)
            case .blob, .null: value = .null
            }
            documents[try record(row, collection: 0, record: 1), default: ShownDocument()].entries[row[2]] =
                ShownDocument.Entry(value: value, conflicts: row[4])
        }
        let insert = try db.makeStatement(sql: "INSERT INTO shown (collection, record, doc, conflicted) VALUES (?, ?, ?, ?)")
        for (record, document) in documents {
            let sealed = try keyring.sealRandomized(document.encoded(), of: record, associatedData: [], db)
            try insert.execute(arguments: [Int64(record.collection.rawValue), record.record.text, Data(sealed), document.conflicts])
        }
    }
}
