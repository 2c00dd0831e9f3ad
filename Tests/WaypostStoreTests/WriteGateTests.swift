import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// The write gate of a restored replica (`Protocol/backup.md` §4): a replica made from a backup signs
/// nothing until resumed, and the gate cannot be opened in the file without the storage key.
@Suite struct WriteGateTests {
    let me = StoreFixtures.keys(1)

    /// A snapshot of a replica with two cases, gated as `restore` gates it.
    private func restoredReplica(in directory: URL) throws -> (path: String, sequence: UInt64) {
        let replica = try StoreFixtures.replica(in: directory, keys: me)
        _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
        _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), signer: me)
        let path = directory.appendingPathComponent("restored.sqlite").path
        try replica.snapshot(into: path)
        let gated = try SQLiteReplica.gateRestored(at: path, storageKey: StorageKey(derivedFrom: me))
        #expect(gated.node == me.publicKey)
        return (path, gated.sequence)
    }

    private func open(_ path: String) throws -> SQLiteReplica {
        try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
    }

    private func refusesWrites(_ replica: SQLiteReplica, _ code: StoreError.Code) throws -> String {
        let error = #expect(throws: StoreError.self) {
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Lina"), signer: me)
        }
        #expect(error?.code == code, "\(String(describing: error))")
        let directive = try Directive.issue(
            .erase(collection: .caseFile, record: RecordID.random()), reason: "test",
            issuedAt: 1, by: me)
        let refusal = #expect(throws: StoreError.self) { try replica.issue(directive) }
        #expect(refusal?.code == code)
        #expect(throws: StoreError.self) { try replica.requireWritable() }
        return error?.message ?? ""
    }

    @Test func aNewReplicaIsOpenAndARestoredOneIsGatedUntilResumed() throws {
        try withTemporaryDirectory { directory in
            let fresh = try StoreFixtures.replica(in: directory, "fresh", keys: me)
            #expect(try fresh.writeGate().restored == false)
            let (path, sequence) = try restoredReplica(in: directory)
            #expect(sequence == 4)
            let replica = try open(path)
            #expect(try replica.writeGate() == (true, 4))
            let message = try refusesWrites(replica, .restored)
            #expect(message.contains("restored from a backup") && message.contains("waypost restore --resume"))
            #expect(!message.contains("\n"))
            #expect(try replica.versions()[me.publicKey] == 4)  // nothing was written
            #expect(try replica.resumeWrites() == 4)
            let (_, changes) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Lina"), signer: me)
            #expect(changes.first?.dot.sequence == 5)
        }
    }

    @Test(arguments: ["delete", "state", "sequence", "tag"])
    func aGateChangedInTheFileWithoutTheKeyDoesNotOpen(_ how: String) throws {
        try withTemporaryDirectory { directory in
            let (path, _) = try restoredReplica(in: directory)
            try DatabaseQueue(path: path).write { db in
                switch how {
                case "delete": try db.execute(sql: "DELETE FROM meta WHERE key = 'writes.gate'")
                case "state":  // the restored state byte set to open
                    try db.execute(
                        sql: "UPDATE meta SET value = x'00' || substr(value, 2) WHERE key = 'writes.gate'")
                case "sequence":
                    try db.execute(
                        sql:
                            "UPDATE meta SET value = substr(value, 1, 8) || x'09' || substr(value, 10) WHERE key = 'writes.gate'"
                    )
                default:  // a gate from another replica, open, whose tag is under another key
                    try db.execute(
                        sql: "UPDATE meta SET value = ? WHERE key = 'writes.gate'",
                        arguments: [Data(WriteGate.value(.open, sequence: 4, node: me.publicKey, key: .random()))])
                }
            }
            let replica = try open(path)
            let message = try refusesWrites(replica, .tampered)
            #expect(message.contains("writes.gate"))
            #expect(try replica.versions()[me.publicKey] == 4)
            // Only the key holder reopens it.
            #expect(try replica.resumeWrites() == 4)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Lina"), signer: me)
        }
    }

    @Test func resumeIsRefusedWhileOwnLaterChangesWait() throws {
        try withTemporaryDirectory { directory in
            let (path, _) = try restoredReplica(in: directory)
            try DatabaseQueue(path: path).write { db in
                // A change of this node's own at 9, held for 5 to 8 (as a peer would send it early).
                try db.execute(
                    sql: """
                        INSERT INTO pending (origin, sequence, timestamp, collection, record, field, operation, value)
                        SELECT id, 9, 0, 1, 'aaaa-aaaa-aaaa-aaaa', 'given_name', 1, x'00' FROM origins WHERE node = ?
                        """, arguments: [Data(me.publicKey.bytes)])
            }
            let replica = try open(path)
            let error = #expect(throws: StoreError.self) { _ = try replica.resumeWrites() }
            #expect(error?.message.contains("up to 9") == true, "\(String(describing: error))")
            #expect(try replica.writeGate().restored)
        }
    }
}
