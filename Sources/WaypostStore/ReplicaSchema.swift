import GRDB
import WaypostCore
import WaypostCrypto

/// The replica's tables, created by GRDB's `DatabaseMigrator` (which records each applied migration
/// in `grdb_migrations`), and its read-only views, rebuilt from ``WaypostCore/Schema`` on every open so
/// that a field added to the schema appears as a column with no migration.
///
/// Tables (`Protocol/replica.md` describes them for people who query the replica with `sqlite3`):
/// - `meta`: this node's id, name and clock.
/// - `origins`: every node whose changes the replica holds, with the highest sequence applied.
/// - `changes`: every change ever applied, the history that is relayed to other nodes.
/// - `records`, `shown`: each record, and its state (one sealed ``RecordState`` per record: its shown
///   values behind the `cases` and `services` views, the values currently live in each field, and the
///   dots overwritten before they arrived). Migration `v7-record-state` moved the last two there from
///   the `live` and `superseded` tables.
/// - `peers`, `peer_versions`: the nodes this one exchanges bundles with, and what each has seen.
/// - `record_keys`, `signatures`: each origin's record keys and signed chain heads (`Protocol/trust.md`).
/// - `pending`: changes received before their predecessors, applied when those arrive.
/// - `networks`, `certificates`: the networks joined and the membership certificates held.
/// - `contacts`, `contact_versions`: every node this one has synced with over the network, where and
///   when, and what it had seen at the last sync.
/// - `record_vault`: each record's key, sealed under the storage key; every value above is sealed under
///   it (``Keyring``).
/// - `access_log`: who looked at which records, when and why; append-only, no field values.
/// - `directives`: the admin directives held (revocations, erasures; `Protocol/trust.md` §7), each once,
///   with whether it took effect here.
enum ReplicaSchema {
    /// The migration that encrypted values at rest.
    static let vaultMigration = "v4-vault"

    /// The migrations, in order. `storageKey` is needed only to encrypt a replica written before
    /// ``vaultMigration``.
    static func migrator(storageKey: StorageKey?) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value ANY) STRICT;
                    CREATE TABLE origins (
                        id INTEGER PRIMARY KEY,
                        node BLOB NOT NULL UNIQUE,
                        sequence INTEGER NOT NULL DEFAULT 0,
                        latest_timestamp INTEGER NOT NULL DEFAULT 0
                    ) STRICT;
                    CREATE TABLE changes (
                        origin INTEGER NOT NULL REFERENCES origins(id),
                        sequence INTEGER NOT NULL,
                        timestamp INTEGER NOT NULL,
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        field TEXT NOT NULL,
                        operation INTEGER NOT NULL,
                        value TEXT NOT NULL,
                        supersedes BLOB,
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
                        value TEXT NOT NULL,
                        PRIMARY KEY (collection, record, field, origin, sequence)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE superseded (
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        field TEXT NOT NULL,
                        origin INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        PRIMARY KEY (collection, record, field, origin, sequence)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE records (
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        PRIMARY KEY (collection, record)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE shown (
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        field TEXT NOT NULL,
                        value ANY,
                        conflicted INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (collection, record, field)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX shown_conflicted ON shown (conflicted) WHERE conflicted > 0;
                    CREATE TABLE peers (
                        name TEXT PRIMARY KEY NOT NULL,
                        node BLOB NOT NULL UNIQUE,
                        added_at INTEGER NOT NULL,
                        last_import_at INTEGER,
                        last_export_at INTEGER
                    ) STRICT;
                    CREATE TABLE peer_versions (
                        peer TEXT NOT NULL REFERENCES peers(name) ON DELETE CASCADE,
                        node BLOB NOT NULL,
                        sequence INTEGER NOT NULL,
                        PRIMARY KEY (peer, node)
                    ) STRICT, WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-trust") { db in
            try db.execute(
                sql: """
                    ALTER TABLE origins ADD COLUMN head BLOB;
                    ALTER TABLE changes ADD COLUMN digest BLOB;
                    CREATE TABLE record_keys (
                        origin INTEGER NOT NULL,
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        key BLOB NOT NULL,
                        introduced INTEGER NOT NULL,
                        PRIMARY KEY (origin, collection, record)
                    ) STRICT, WITHOUT ROWID;
                    CREATE UNIQUE INDEX record_keys_by_change ON record_keys (origin, introduced);
                    CREATE TABLE signatures (
                        origin INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        signature BLOB NOT NULL,
                        PRIMARY KEY (origin, sequence)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE pending (
                        origin INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        timestamp INTEGER NOT NULL,
                        collection INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        field TEXT NOT NULL,
                        operation INTEGER NOT NULL,
                        value TEXT NOT NULL,
                        supersedes BLOB,
                        record_key BLOB,
                        signature BLOB,
                        PRIMARY KEY (origin, sequence)
                    ) STRICT, WITHOUT ROWID;
                    ALTER TABLE peers ADD COLUMN role INTEGER NOT NULL DEFAULT 1;
                    CREATE TABLE networks (
                        network BLOB PRIMARY KEY NOT NULL,
                        joined_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE network_keys (
                        network BLOB PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE certificates (
                        network BLOB NOT NULL,
                        node BLOB NOT NULL,
                        issuer BLOB NOT NULL,
                        issued_at INTEGER NOT NULL,
                        bytes BLOB NOT NULL,
                        PRIMARY KEY (network, node, issuer, issued_at)
                    ) STRICT, WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3-sync") { db in
            try db.execute(
                sql: """
                    ALTER TABLE peers ADD COLUMN address TEXT;
                    CREATE TABLE contacts (
                        node BLOB PRIMARY KEY NOT NULL,
                        last_address TEXT,
                        last_seen_at INTEGER,
                        last_synced_at INTEGER
                    ) STRICT;
                    CREATE TABLE contact_versions (
                        node BLOB NOT NULL REFERENCES contacts(node) ON DELETE CASCADE,
                        origin BLOB NOT NULL,
                        sequence INTEGER NOT NULL,
                        PRIMARY KEY (node, origin)
                    ) STRICT, WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration(vaultMigration) { db in try VaultMigration.migrate(db, storageKey: storageKey) }
        migrator.registerMigration("v5-directives") { db in
            // `id` is BLAKE2b-256 of `bytes`. `subject` is the revoked node's id (kind 1), or the
            // collection's byte and the record's 10 bytes (kind 2). `accepted` is 0 for a revocation of
            // this node itself, stored and passed on without effect here (`Protocol/trust.md` §7.3).
            try db.execute(
                sql: """
                    CREATE TABLE directives (
                        id BLOB PRIMARY KEY NOT NULL,
                        kind INTEGER NOT NULL,
                        subject BLOB NOT NULL,
                        last_accepted INTEGER,
                        issuer BLOB NOT NULL,
                        issued_at INTEGER NOT NULL,
                        accepted INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        bytes BLOB NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX directives_by_subject ON directives (kind, subject);
                    CREATE INDEX directives_by_issuer ON directives (issuer, issued_at);
                    """)
        }
        migrator.registerMigration("v6-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE access_log (
                        number INTEGER PRIMARY KEY AUTOINCREMENT,
                        at INTEGER NOT NULL,
                        user TEXT NOT NULL,
                        node BLOB NOT NULL,
                        command TEXT NOT NULL,
                        records TEXT NOT NULL,
                        scope TEXT,
                        reason TEXT
                    ) STRICT;
                    CREATE TRIGGER access_log_append_only_update BEFORE UPDATE ON access_log
                    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
                    CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log
                    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
                    """)
        }
        migrator.registerMigration("v7-record-state") { db in try RecordStateMigration.migrate(db, storageKey: storageKey) }
        migrator.registerMigration(temporaryViewsMigration) { db in
            // The views became TEMP views made by each connection (``createViews(_:schema:)``): the file
            // keeps none, so opening it writes nothing and a view altered in the file is never run.
            try db.execute(sql: "DROP VIEW IF EXISTS main.cases; DROP VIEW IF EXISTS main.services;")
        }
        migrator.registerMigration("v9-arrivals") { db in
            // When this node learned of each change to a case's status (`ArrivalTable`), tagged under the
            // storage key; changes applied before this migration count as learned when it ran.
            try db.execute(
                sql: """
                    CREATE TABLE arrivals (
                        origin INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        learned_at INTEGER NOT NULL,
                        tag BLOB NOT NULL,
                        PRIMARY KEY (origin, sequence)
                    ) STRICT, WITHOUT ROWID;
                    INSERT INTO meta (key, value) VALUES ('arrivals.since', CAST(strftime('%s', 'now') AS INTEGER) * 1000)
                    ON CONFLICT (key) DO NOTHING;
                    """)
        }
        return migrator
    }

    /// The migration from which the file holds no view.
    static let temporaryViewsMigration = "v8-temporary-views"

    /// Checks that the database's schema (every table, index, trigger and view in `sqlite_schema`, with
    /// its SQL) is exactly what Waypost's migrations made, up to the last one the file has applied.
    ///
    /// The expected schema is made by running the same migrations on an empty in-memory database, so it
    /// needs no list kept by hand. A replica written before ``temporaryViewsMigration`` may also hold the
    /// two views `cases` and `services` that the next migration drops; whatever their SQL, they cannot
    /// run the node's decrypting function (``ShownValueFunction`` is direct-only).
    ///
    /// - Throws: ``StoreError`` `tampered` naming the first object that was added, altered or removed.
    static func verify(_ db: Database, migrator: DatabaseMigrator) throws {
        let applied = try migrator.appliedMigrations(db)
        let found = try schemaObjects(db)
        // The usual case, a replica at the latest migration whose schema is exactly Waypost's, is told by
        // one hash: running the migrations in memory costs more than the rest of a command's start.
        if applied.last == latestMigration, fingerprint(found) == latestFingerprint { return }
        var expected: [SchemaObject: String?] = [:]
        if let last = applied.last {
            let blank = try DatabaseQueue()
            try migrator.migrate(blank, upTo: last)
            expected = try blank.read(schemaObjects)
        } else if found.isEmpty {
            return
        }
        let viewsAllowed = !applied.contains(temporaryViewsMigration)
        for (object, sql) in found.sorted(by: { $0.key < $1.key }) {
            if viewsAllowed, object.type == "view", ["cases", "services"].contains(object.name) { continue }
            guard let wanted = expected[object] else {
                throw StoreError.tampered("the replica holds \(object) that Waypost did not create")
            }
            guard wanted == sql else { throw StoreError.tampered("\(object) in the replica was altered") }
        }
        if let missing = expected.keys.sorted().first(where: { found[$0] == nil }) {
            throw StoreError.tampered("\(missing) is missing from the replica")
        }
    }

    /// The last migration.
    static let latestMigration = "v9-arrivals"

    /// ``fingerprint(_:)`` of the schema the migrations make up to ``latestMigration``, with the SQLite this
    /// project builds with (`ReplicaFileTamperingTests` checks it against the migrations run in memory). A
    /// SQLite that writes the schema's SQL otherwise only loses the shortcut: the full comparison runs.
    static let latestFingerprint: [UInt8] = hexBytes("5bd9fc24bbd1ec870d736129cb17862ff056a9b791bdb960d9bf6b2933fbace9")

    /// BLAKE2b-256 over every object's type, name, table and SQL, in (type, name) order, each NUL-ended.
    static func fingerprint(_ objects: [SchemaObject: String?]) -> [UInt8] {
        var hash = Blake2b()
        for (object, sql) in objects.sorted(by: { $0.key < $1.key }) {
            for part in [object.type, object.name, object.table, sql ?? "\u{1}"] { hash.update(Array(part.utf8) + [0]) }
        }
        return hash.finalize()
    }

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex), index < hex.endIndex {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    /// The schema the migrations make on an empty in-memory database, up to the latest.
    static func latestSchemaFingerprint() throws -> [UInt8] {
        let blank = try DatabaseQueue()
        try migrator(storageKey: nil).migrate(blank, upTo: latestMigration)
        return fingerprint(try blank.read(schemaObjects))
    }

    /// One entry of `sqlite_schema` (https://sqlite.org/schematab.html).
    struct SchemaObject: Hashable, Comparable, CustomStringConvertible {
        let type: String
        let name: String
        let table: String

        static func < (left: Self, right: Self) -> Bool { (left.type, left.name) < (right.type, right.name) }

        var description: String {
            type == "table" || name == table ? "\(type) '\(name)'" : "\(type) '\(name)' on table '\(table)'"
        }
    }

    private static func schemaObjects(_ db: Database) throws -> [SchemaObject: String?] {
        var objects: [SchemaObject: String?] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM main.sqlite_schema") {
            objects[SchemaObject(type: row[0], name: row[1], table: row[2])] = row[3] as String?
        }
        return objects
    }

    /// Makes this connection's `cases` and `services` views: one row per record, one column per field
    /// with its shown value (sets, logs and entries as JSON text), and `conflicts`, the number of
    /// conflicted fields. Values are opened by ``ShownValueFunction``, which only a connection holding the
    /// storage key has.
    ///
    /// They are `TEMP` views (https://sqlite.org/lang_createview.html): they live in the connection's
    /// memory, so making them writes nothing to the file, and the decrypting function, which SQLite runs
    /// only from top-level SQL and the TEMP schema, cannot be reached from anything stored in the file.
    static func createViews(_ db: Database, schema: Schema) throws {
        for collection in RecordCollection.allCases {
            let columns = schema[collection].fields.map { field in
                "\(ShownValueFunction.name)(v.key, r.collection, r.record, s.doc, '\(field.name)') AS \"\(field.name)\""
            }
            try db.execute(sql: "DROP VIEW IF EXISTS temp.\(collection.viewName)")
            try db.execute(
                sql: """
                    CREATE TEMP VIEW \(collection.viewName) AS
                    SELECT r.record AS id, \(columns.joined(separator: ", ")),
                           COALESCE(s.conflicted, 0) AS conflicts,
                           strftime('%Y-%m-%dT%H:%M:%fZ', (r.created >> 16) / 1000.0, 'unixepoch') AS created_at
                    FROM main.records r LEFT JOIN main.shown s ON s.collection = r.collection AND s.record = r.record
                    LEFT JOIN main.record_vault v ON v.collection = r.collection AND v.record = r.record
                    WHERE r.collection = \(collection.rawValue)
                    """)
        }
    }
}
