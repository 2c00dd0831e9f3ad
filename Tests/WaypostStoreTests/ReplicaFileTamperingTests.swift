import Foundation
import GRDB
import Testing
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// What someone holding the replica's file without the passphrase can do to it with `sqlite3`, and what
/// the node does about it (issue 15 §1): a planted trigger or altered schema object is refused at open,
/// the decrypting function cannot run from anything stored in the file, opening writes nothing, and the
/// files are readable by their owner alone.
@Suite struct ReplicaFileTamperingTests {
    let me = StoreFixtures.keys(1)

    /// A replica holding one case whose name is `secret`; returns the case's id.
    private func replicaWithCase(in directory: URL, secret: String) throws -> RecordID {
        let replica = try StoreFixtures.replica(in: directory, keys: me)
        return try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=\(secret)"), signer: me).id
    }

    /// Runs `sql` on the file with plain SQLite, as an attacker with the file and no key would.
    private func tamper(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }

    @Test("a trigger planted in the file to copy decrypted values into a table is refused when the node opens")
    func aPlantedTriggerIsRefusedAtOpen() throws {
        try withTemporaryDirectory { directory in
            _ = try replicaWithCase(in: directory, secret: "Amina-Secret")
            let path = directory.replicaPath()
            try tamper(
                path,
                """
                CREATE TABLE loot (name TEXT);
                CREATE TRIGGER leak AFTER INSERT ON access_log BEGIN INSERT INTO loot SELECT given_name FROM cases; END;
                """)
            let error = #expect(throws: StoreError.self) {
                _ = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            }
            #expect(error?.code == .tampered)
            #expect(error?.message.contains("table 'loot'") == true, "\(String(describing: error))")
            // Refused without the key too: a `status` must not run it either.
            let locked = #expect(throws: StoreError.self) { _ = try SQLiteReplica.open(at: path, storageKey: nil) }
            #expect(locked?.code == .tampered)
        }
    }

    @Test("the decrypting function cannot run from a trigger, even one made on the node's own connection")
    func theDecryptingFunctionIsDirectOnly() throws {
        try withTemporaryDirectory { directory in
            let record = try replicaWithCase(in: directory, secret: "Amina-Secret")
            let replica = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
            // The views read in plain where they should: top-level SQL on a connection holding the key.
            let shown = try replica.read { db in try String.fetchOne(db, sql: "SELECT given_name FROM cases") }
            #expect(shown == "Amina-Secret")
            // A trigger stored in the file (main schema) that calls it is refused by SQLite itself.
            let error = #expect(throws: StoreError.self) {
                try replica.write { db in
                    try db.execute(
                        sql: """
                            CREATE TABLE loot (name TEXT);
                            CREATE TRIGGER leak AFTER INSERT ON meta BEGIN
                                INSERT INTO loot SELECT waypost_shown(v.key, s.collection, s.record, s.doc, 'given_name')
                                FROM shown s JOIN record_vault v USING (collection, record);
                            END;
                            INSERT INTO meta (key, value) VALUES ('x', 1);
                            """)
                }
            }
            #expect(error?.message.contains("unsafe use of waypost_shown") == true, "\(String(describing: error))")
            #expect(try replica.view(.caseFile, record) != nil)
        }
    }

    @Test("an altered trigger, a dropped one and an added index are each refused, naming the object")
    func alteredOrMissingObjectsAreRefused() throws {
        let attacks: [(sql: String, names: String)] = [
            (
                """
                DROP TRIGGER access_log_append_only_delete;
                CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log BEGIN SELECT 1; END;
                """,
                "trigger 'access_log_append_only_delete' on table 'access_log' in the replica was altered"
            ),
            ("DROP TRIGGER access_log_append_only_update", "trigger 'access_log_append_only_update' on table 'access_log' is missing"),
            ("CREATE INDEX peek ON access_log (user)", "index 'peek' on table 'access_log'"),
            ("CREATE VIEW cases AS SELECT 1", "view 'cases'"),
        ]
        for attack in attacks {
            try withTemporaryDirectory { directory in
                _ = try replicaWithCase(in: directory, secret: "Amina")
                try tamper(directory.replicaPath(), attack.sql)
                let error = #expect(throws: StoreError.self) {
                    _ = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
                }
                #expect(error?.code == .tampered)
                #expect(error?.message.contains(attack.names) == true, "\(String(describing: error))")
            }
        }
    }

    @Test("opening a replica and reading it leaves the file byte for byte as it was")
    func openingWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let record = try replicaWithCase(in: directory, secret: "Amina")
            let path = directory.replicaPath()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the first connection checkpointed on close")
            for key in [StorageKey(derivedFrom: me), nil] {
                let replica = try SQLiteReplica.open(at: path, storageKey: key)
                #expect(try replica.statistics().changes > 0)
                if key != nil { #expect(try replica.view(.caseFile, record) != nil) }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test("the replica, its WAL and its shared-memory file are readable by their owner alone, whatever the umask")
    func filesAreOwnerOnly() throws {
        try withTemporaryDirectory { directory in
            let previous = umask(0o022)
            defer { umask(previous) }
            let path = directory.replicaPath()
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            for file in [path, path + "-wal", path + "-shm"] {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
        }
        // A replica left readable by an earlier Waypost is tightened when it is opened.
        try withTemporaryDirectory { directory in
            _ = try replicaWithCase(in: directory, secret: "Amina")
            let path = directory.replicaPath()
            #expect(chmod(path, 0o644) == 0)
            let replica = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            #expect(try replica.statistics().changes > 0)
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
        }
    }

    @Test("a replica from before the views became temporary loses its stored views once, then opens writing nothing")
    func storedViewsAreDroppedOnce() throws {
        try withTemporaryDirectory { directory in
            _ = try replicaWithCase(in: directory, secret: "Amina")
            let path = directory.replicaPath()
            // Put the file back as the previous version left it: two stored views, v8 not applied.
            try tamper(
                path,
                """
                DELETE FROM grdb_migrations WHERE identifier = '\(ReplicaSchema.temporaryViewsMigration)';
                CREATE VIEW cases AS SELECT record AS id FROM records WHERE collection = 1;
                CREATE VIEW services AS SELECT record AS id FROM records WHERE collection = 2;
                """)
            do {
                let replica = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
                let shown = try replica.read { db in try String.fetchOne(db, sql: "SELECT given_name FROM cases") }
                #expect(shown == "Amina")
            }
            let views = try DatabaseQueue(path: path).read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'view'")
            }
            #expect(views == 0)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            _ = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("a row added to any table that decides trust, or deleted from one, is refused when opened with the key")
    func everyTrustTableIsAuthenticated() throws {
        let blob = Data(repeating: 9, count: 32)
        let rows: [(table: String, sql: String)] = [
            ("peers", "INSERT INTO peers (name, node, added_at, role, address) VALUES ('mallory', ?1, 0, 2, '10.0.0.9:7850')"),
            ("networks", "INSERT INTO networks (network, joined_at) VALUES (?1, 0)"),
            ("network_keys", "INSERT INTO network_keys (network, name, created_at) VALUES (?1, 'n', 0)"),
            ("certificates", "INSERT INTO certificates (network, node, issuer, issued_at, bytes) VALUES (?1, ?1, ?1, 0, ?1)"),
            (
                "directives",
                "INSERT INTO directives (id, kind, subject, last_accepted, issuer, issued_at, accepted, received_at, bytes) VALUES (?1, 1, ?1, 0, ?1, 0, 1, 0, ?1)"
            ),
        ]
        #expect(Set(rows.map(\.table)) == Set(TrustSeal.tables.map(\.name)))
        for row in rows {
            try withTemporaryDirectory { directory in
                _ = try StoreFixtures.replica(in: directory, keys: me, trusting: [StoreFixtures.keys(2).publicKey])
                let path = directory.replicaPath()
                try DatabaseQueue(path: path).write { db in try db.execute(sql: row.sql, arguments: [blob]) }
                let error = #expect(throws: StoreError.self) {
                    _ = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
                }
                #expect(error?.code == .tampered)
                #expect(error?.message.contains("table '\(row.table)'") == true, "\(String(describing: error))")
                // Without the key the rows cannot be checked, only shown: counts and peers still read.
                #expect(try SQLiteReplica.open(at: path, storageKey: nil).peers().isEmpty == false)
            }
        }
        // A deleted peer is refused too: deleting a row is as much a change as adding one.
        try withTemporaryDirectory { directory in
            _ = try StoreFixtures.replica(in: directory, keys: me, trusting: [StoreFixtures.keys(2).publicKey])
            try DatabaseQueue(path: directory.replicaPath()).write { db in try db.execute(sql: "DELETE FROM peers") }
            let error = #expect(throws: StoreError.self) {
                _ = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
            }
            #expect(error?.message.contains("table 'peers'") == true)
        }
    }

    @Test("every revocation deleted with its table's tag is refused; a replica from before the tags and the write gate still writes")
    func aTableEmptiedWithItsTagIsRefused() throws {
        try withTemporaryDirectory { directory in
            _ = try replicaWithCase(in: directory, secret: "Amina")
            try tamper(directory.replicaPath(), "DELETE FROM directives; DELETE FROM meta WHERE key = 'trust.tag.directives'")
            let error = #expect(throws: StoreError.self) {
                _ = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
            }
            #expect(error?.code == .tampered && error?.message.contains("table 'directives'") == true, "\(String(describing: error))")
        }
        try withTemporaryDirectory { directory in
            let record = try replicaWithCase(in: directory, secret: "Amina")
            // As an earlier Waypost left it: no trust-row tag, no write gate, no trust row.
            try tamper(directory.replicaPath(), "DELETE FROM meta WHERE key LIKE 'trust.tag.%' OR key = 'writes.gate'")
            let replica = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
            #expect(try !replica.update(.caseFile, record, edits: StoreFixtures.edits("risk_level=high"), signer: me).isEmpty)
            // Sealed, it gets its tags and an open gate: from then on a deleted gate is refused.
            try replica.sealTrustRows()
            try tamper(directory.replicaPath(), "DELETE FROM meta WHERE key = 'writes.gate'")
            let reopened = try SQLiteReplica.open(at: directory.replicaPath(), storageKey: StorageKey(derivedFrom: me))
            let refused = #expect(throws: StoreError.self) {
                try reopened.update(.caseFile, record, edits: StoreFixtures.edits("risk_level=low"), signer: me)
            }
            #expect(refused?.code == .tampered)
        }
    }

    @Test("the schema fingerprint opening relies on is the one the migrations make, and the last migration is the latest")
    func theLatestFingerprintIsTheMigrationsOwn() throws {
        let computed = try ReplicaSchema.latestSchemaFingerprint()
        #expect(
            computed == ReplicaSchema.latestFingerprint,
            "set ReplicaSchema.latestFingerprint to \(computed.map { String(format: "%02x", $0) }.joined())")
        let queue = try DatabaseQueue()
        let migrator = ReplicaSchema.migrator(storageKey: nil)
        try migrator.migrate(queue)
        #expect(try queue.read { db in try migrator.appliedMigrations(db).last } == ReplicaSchema.latestMigration)
    }

    private static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }
}
