import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Erase directives (`Protocol/replica.md` §9.4): every value a record ever had goes from every replica
/// that accepts one, the chains stay verifiable and pass on in digest form, and a change to the record
/// that arrives later brings nothing back.
///
/// A is an admin to B and D (pairwise); C is a field node that wrote to the record while cut off.
@Suite struct ReplicaErasureTests {
    let aKeys = StoreFixtures.keys(41)
    let bKeys = StoreFixtures.keys(42)
    let cKeys = StoreFixtures.keys(43)
    let dKeys = StoreFixtures.keys(44)

    static let secrets = ["Erasable-Given-Name-Q1", "erasable note text W2", "Erasable-Location-E3", "late-edit-from-C-R4"]

    /// Every sealed byte string a record's values and key occupy in a replica.
    static func sealedBytes(of record: RecordID, in replica: SQLiteReplica) throws -> [[UInt8]] {
        try replica.database.read { db in
            var blobs: [[UInt8]] = []
            for sql in [
                "SELECT value FROM changes WHERE record = ?",
                "SELECT doc FROM shown WHERE record = ?", "SELECT key FROM record_vault WHERE record = ?",
            ] {
                blobs += try Data.fetchAll(db, sql: sql, arguments: [record.text]).map(Array.init)
            }
            return blobs.filter { $0.count >= 16 }
        }
    }

    @Test func anErasureRemovesEveryValueEverywhereAndLateChangesBringNothingBack() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys, trusting: [bKeys.publicKey, cKeys.publicKey])
            let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, trusting: [cKeys.publicKey])
            try b.addPeer(named: "admin", node: aKeys.publicKey, role: .admin)
            let c = try StoreFixtures.replica(in: directory, "c", keys: cKeys, trusting: [aKeys.publicKey, bKeys.publicKey])
            let (record, _) = try a.create(
                .caseFile, edits: StoreFixtures.edits("given_name=\(Self.secrets[0])", "notes+=\(Self.secrets[1])"), signer: aKeys)
            _ = try a.update(.caseFile, record, edits: StoreFixtures.edits("location=\(Self.secrets[2])"), signer: aKeys)
            let (kept, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Kept"), signer: aKeys)
            _ = try b.pull(from: a)
            _ = try c.pull(from: a)
            let old = try a.changes(after: VersionVector())  // an old bundle, made before the erasure
            // C, cut off, edits the record, then writes elsewhere.
            _ = try c.update(.caseFile, record, edits: StoreFixtures.edits("owner=\(Self.secrets[3])"), signer: cKeys)
            let (cOwn, _) = try c.create(.caseFile, edits: StoreFixtures.edits("given_name=From C"), signer: cKeys)
            let sealedOnA = try Self.sealedBytes(of: record, in: a)
            let sealedOnB = try Self.sealedBytes(of: record, in: b)
            try #require(!sealedOnA.isEmpty && !sealedOnB.isEmpty)

            let erase = try Directive.issue(.erase(collection: .caseFile, record: record), reason: "request 17", issuedAt: 5, by: aKeys)
            #expect(try a.issue(erase).erasedRecords == 1)
            #expect(try b.apply(ChangeBatch(), directives: [erase], from: aKeys.publicKey).erasedRecords == 1)
            for (replica, sealed) in [(a, sealedOnA), (b, sealedOnB)] {
                #expect(try replica.view(.caseFile, record) == nil)
                #expect(try replica.view(.caseFile, kept) != nil)
                #expect(!(try replica.views(.caseFile).contains { $0.id == record }))
                let bytes = try FileBytes.database(at: replica.database.path)
                for blob in sealed { #expect(!FileBytes.contain(bytes, blob), "a sealed value or key of the erased record is still in the files") }
                let rows = try replica.database.read { db in
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT (SELECT COUNT(*) FROM shown WHERE record = ?1)
                                 + (SELECT COUNT(*) FROM records WHERE record = ?1) + (SELECT COUNT(*) FROM record_vault WHERE record = ?1)
                                 + (SELECT COUNT(*) FROM changes WHERE record = ?1 AND (length(value) > 0 OR digest IS NULL))
                            """, arguments: [record.text])
                }
                #expect(rows == 0)
                #expect(try replica.auditChains().isIntact, "the chains verify with digests in place of erased values")
            }

            // The old bundle, replayed: nothing comes back.
            let replay = try a.apply(old)
            #expect(replay.applied == 0 && replay.duplicates == old.changes.count)
            #expect(try a.view(.caseFile, record) == nil)

            // C's edit, made before C heard of the erasure, arrives: its value is dropped, its chain goes on.
            let late = try a.pull(from: c)
            #expect(late.droppedForErasure == 1)
            #expect(late.applied >= 3)
            #expect(try a.view(.caseFile, record) == nil)
            #expect(try a.view(.caseFile, cOwn) != nil)
            #expect(!FileBytes.contain(try FileBytes.database(at: a.database.path), Array(Self.secrets[3].utf8)))
            #expect(try a.auditChains().isIntact)

            // D, new, gets everything from A: the erased changes travel as digests, verify, and show nothing.
            let d = try StoreFixtures.replica(in: directory, "d", keys: dKeys, trusting: [cKeys.publicKey])
            try d.addPeer(named: "admin", node: aKeys.publicKey, role: .admin)
            let batch = try a.changes(after: VersionVector())
            let erasedRows = try a.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes WHERE digest IS NOT NULL") ?? 0
            }
            #expect(erasedRows == 5 && batch.erasedDigests.count == erasedRows)  // four of A, one late one of C
            #expect(batch.changes.filter { batch.erasedDigests[$0.dot] != nil }.allSatisfy { $0.operation.argument.isEmpty })
            let report = try d.apply(batch, directives: [erase], from: aKeys.publicKey)
            #expect(report.applied == batch.changes.count)
            #expect(try d.view(.caseFile, record) == nil && d.view(.caseFile, kept) != nil && d.view(.caseFile, cOwn) != nil)
            #expect(try d.auditChains().isIntact)
            #expect(try d.versions() == a.versions())
        }
    }

    /// A change to an erased record that arrives before its predecessors is not held, even sealed: it comes
    /// again with them, and is then kept as its digest only.
    @Test func aHeldChangeToAnErasedRecordIsNotKept() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys, trusting: [cKeys.publicKey])
            let c = try StoreFixtures.replica(in: directory, "c", keys: cKeys, trusting: [aKeys.publicKey])
            let (record, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: aKeys)
            _ = try c.pull(from: a)
            let (other, _) = try c.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), signer: cKeys)
            _ = try c.update(.caseFile, record, edits: StoreFixtures.edits("owner=\(Self.secrets[3])"), signer: cKeys)
            _ = try c.update(.caseFile, other, edits: StoreFixtures.edits("owner=someone"), signer: cKeys)
            let erase = try Directive.issue(.erase(collection: .caseFile, record: record), reason: "request", issuedAt: 5, by: aKeys)
            _ = try a.issue(erase)

            // Only C's last two changes: the first is missing, so they wait, but the one to the erased record does not.
            let tail = try c.changes(after: VersionVector([cKeys.publicKey: 2]))
            #expect(tail.changes.filter { $0.dot.origin == cKeys.publicKey }.count == 2)
            let held = try a.apply(tail, from: cKeys.publicKey)
            #expect(held.applied == 0 && held.heldBackCount == 1)
            #expect(try pendingCounts(a) == [cKeys.publicKey: 1])
            #expect(!FileBytes.contain(try FileBytes.database(at: a.database.path), Array(Self.secrets[3].utf8)))

            let all = try a.pull(from: c)
            #expect(all.applied == 4 && all.droppedForErasure == 1)
            #expect(try pendingCounts(a).isEmpty)
            #expect(try a.view(.caseFile, record) == nil)
            #expect(try a.view(.caseFile, other)?.fields["owner"] != nil)
            #expect(try a.auditChains().isIntact)
        }
    }

    @Test func anEraseDirectiveFromAFieldNodeErasesNothing() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
            let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, trusting: [aKeys.publicKey])
            let (record, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: aKeys)
            _ = try b.pull(from: a)
            let before = try b.canonicalExport()
            let erase = try Directive.issue(.erase(collection: .caseFile, record: record), reason: "no", issuedAt: 5, by: aKeys)
            let report = try b.apply(ChangeBatch(), directives: [erase], from: aKeys.publicKey)
            #expect(report.directivesRefused == 1 && report.erasedRecords == 0)
            #expect(try b.canonicalExport() == before)
            #expect(try b.view(.caseFile, record) != nil)
        }
    }
}

/// A relay that sends another origin's change in digest form without any erasure (issue 15 §2): the
/// receiver must not take the digest for the value.
@Suite struct WithheldValueTests {
    let aKeys = StoreFixtures.keys(71)
    let bKeys = StoreFixtures.keys(72)
    let relayKeys = StoreFixtures.keys(73)

    /// `batch` with the change at `dot` sent in digest form, as an erased change travels.
    static func withholding(_ dot: Dot, in batch: ChangeBatch) throws -> ChangeBatch {
        var forged = batch
        let index = try #require(batch.changes.firstIndex { $0.dot == dot })
        let change = batch.changes[index]
        // The record key of the change that introduced this origin's chain key for the record.
        let introducing = try #require(batch.changes.first { $0.record == change.record && batch.recordKeys[$0.dot] != nil })
        let recordKey = try #require(batch.recordKeys[introducing.dot])
        forged.erasedDigests[dot] = ChangeChain.valueDigest(change.operation.argument, recordKey: recordKey)
        let emptied: WaypostCore.Operation =
            switch change.operation {
            case .assign(_, let supersedes): .assign(value: "", supersedes: supersedes)
            default: change.operation
            }
        forged.changes[index] = Change(
            dot: change.dot, timestamp: change.timestamp, collection: change.collection, record: change.record,
            field: change.field, operation: emptied)
        return forged
    }

    @Test("a change relayed in digest form for a record nobody erased is held, and its valued copy replaces it")
    func aWithheldValueIsHeldNotTaken() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
            let b = try StoreFixtures.replica(
                in: directory, "b", keys: bKeys, trusting: [aKeys.publicKey, relayKeys.publicKey])
            let (record, changes) = try a.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina", "risk_level=high"), signer: aKeys)
            let nameChange = try #require(changes.first { $0.field == "given_name" })
            let forged = try Self.withholding(nameChange.dot, in: try a.changes(after: VersionVector()))
            #expect(forged.erasedDigests.count == 1)

            let report = try b.apply(forged, from: relayKeys.publicKey)
            #expect(report.withheldValues == 1)
            #expect(report.heldBackCount > 0)
            #expect(try b.versions()[aKeys.publicKey] < nameChange.dot.sequence, "nothing from the withheld value on is applied")
            let digests = try b.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes WHERE digest IS NOT NULL") }
            #expect(digests == 0)
            #expect(try b.auditChains().isIntact)

            // The genuine change arrives (from A, or any honest relay): it replaces the digest and everything applies.
            let honest = try b.apply(try a.changes(after: b.versions()), from: aKeys.publicKey)
            #expect(honest.withheldValues == 0)
            #expect(try b.versions() == a.versions())
            let shown = try #require(try b.view(.caseFile, record)).fieldsJSON(schema: .waypost)
            #expect(shown["given_name"] == .string("Amina"))
            #expect(try b.view(.caseFile, record) == (try a.view(.caseFile, record)))
        }
    }
}
