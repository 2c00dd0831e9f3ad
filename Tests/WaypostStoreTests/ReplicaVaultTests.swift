import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Values encrypted at rest (`Protocol/replica.md` §9): what a locked replica can and cannot read, and a
/// replica written before encryption, upgraded in place with nothing of its plaintext left in the file.
@Suite struct ReplicaVaultTests {
    let me = StoreFixtures.keys(1)

    @Test func aLockedReplicaReadsCountsButNoValueAndWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let record: RecordID
            do {
                let replica = try StoreFixtures.replica(in: directory, keys: me)
                record = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me).id
            }
            let locked = try SQLiteReplica.open(at: path, storageKey: nil)
            #expect(try locked.statistics().changes > 0)
            let readError = #expect(throws: StoreError.self) { try locked.view(.caseFile, record) }
            #expect(readError?.code == .locked)
            let writeError = #expect(throws: StoreError.self) {
                try locked.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Omar"), signer: me)
            }
            #expect(writeError?.code == .locked)
            #expect(throws: StoreError.self) { try locked.changes(after: VersionVector()) }
            // Another node's key opens nothing: the trust rows fail their tags, and every value its own.
            let wrongKey = #expect(throws: StoreError.self) {
                try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: StoreFixtures.keys(2)))
            }
            #expect(wrongKey?.code == .tampered)
            let foreign = try SQLiteReplica.open(
                at: path, storageKey: StorageKey(derivedFrom: StoreFixtures.keys(2)), verifyingTrustRows: false)
            let damaged = #expect(throws: StoreError.self) { try foreign.view(.caseFile, record) }
            #expect(damaged?.code == .damaged)
            let unlocked = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            #expect(try unlocked.view(.caseFile, record)?.json(schema: .waypost).canonical.contains("Amina") == true)
        }
    }

    /// A value altered in the file does not decrypt: reading it fails with `damaged`, not with a wrong value.
    @Test func aValueAlteredInTheFileIsDamagedNotMisread() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let record = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me).id
            try replica.database.write { db in
                try db.execute(sql: "UPDATE shown SET doc = CAST(zeroblob(length(doc)) AS BLOB)")
            }
            let error = #expect(throws: StoreError.self) { try replica.view(.caseFile, record) }
            #expect(error?.code == .damaged)
            #expect(error?.message.contains("audit verify") == true)
        }
    }

    /// A replica written before encryption (migrations up to `v3-sync`, values in plain) is encrypted when
    /// it is opened with its key: the values read as before, and their bytes are gone from the files.
    @Test func aPlainReplicaIsEncryptedWhenOpenedWithItsKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let record = RecordID.random()
            let secret = "Plaintext-Secret-Name-Kq9"
            let note = "plaintext-note-that-must-go-Wz3"
            do {
                let queue = try DatabaseQueue(path: path)
                try ReplicaSchema.migrator(storageKey: nil).migrate(queue, upTo: "v3-sync")
                try queue.write { db in
                    let node = Data(me.publicKey.bytes)
                    try db.execute(
                        sql: "INSERT INTO meta (key, value) VALUES ('node', ?), ('name', 'old'), ('clock', 0), ('created_at', 0)",
                        arguments: [node])
                    try db.execute(
                        sql: "INSERT INTO origins (id, node, sequence, latest_timestamp, head) VALUES (1, ?, 2, 65536, ?)",
                        arguments: [node, Data(repeating: 7, count: 32)])
                    for (sequence, field, operation, value) in [(1, "given_name", 1, secret), (2, "notes", 5, note)] {
                        try db.execute(
                            sql: """
                                INSERT INTO changes (origin, sequence, timestamp, collection, record, field, operation, value)
                                VALUES (1, ?, ?, 1, ?, ?, ?, ?)
                                """, arguments: [sequence, 65536 * sequence, record.text, field, operation, value])
                        try db.execute(
                            sql: "INSERT INTO live (collection, record, field, origin, sequence, timestamp, value) VALUES (1, ?, ?, 1, ?, ?, ?)",
                            arguments: [record.text, field, sequence, 65536 * sequence, value])
                    }
                    try db.execute(sql: "INSERT INTO records (collection, record, created) VALUES (1, ?, 65536)", arguments: [record.text])
                    try db.execute(
                        sql: "INSERT INTO shown (collection, record, field, value) VALUES (1, ?, 'given_name', ?)",
                        arguments: [record.text, secret])
                    try db.execute(
                        sql: "INSERT INTO record_keys (origin, collection, record, key, introduced) VALUES (1, 1, ?, ?, 1)",
                        arguments: [record.text, Data(repeating: 9, count: 32)])
                }
            }
            try #require(FileBytes.contain(try FileBytes.database(at: path), secret))

            // Without the key it cannot be upgraded, and is left as it was.
            let locked = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path, storageKey: nil) }
            #expect(locked?.code == .locked)
            let migrations = try DatabaseQueue(path: path).read { db in
                try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(migrations == ["v1-replica", "v2-trust", "v3-sync"])
            #expect(try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "SELECT value FROM changes LIMIT 1") } == secret)

            let replica = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            let view = try #require(try replica.view(.caseFile, record)).json(schema: .waypost).canonical
            #expect(view.contains(secret) && view.contains(note))
            let shown = try readOnly(replica) { db in try String.fetchOne(db, sql: "SELECT given_name FROM cases") }
            #expect(shown == secret)
            let batch = try replica.changes(after: VersionVector())
            #expect(batch.changes.map(\.operation.argument) == [secret, note])
            #expect(batch.recordKeys.values.first == [UInt8](repeating: 9, count: 32))
            let bytes = try FileBytes.database(at: path)
            #expect(!FileBytes.contain(bytes, secret))
            #expect(!FileBytes.contain(bytes, note))
        }
    }
}
