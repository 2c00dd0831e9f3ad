import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// What survives: a full disk leaves the replica as it was, data outlives closing and reopening, and
/// opening refuses what is not a replica this version can read.
@Suite struct ReplicaDurabilityTests {
    let me = StoreFixtures.keys(1)
    let other = StoreFixtures.keys(2)

    /// Batches of 20 long notes, spread over a few records, from another node, each signed at its end.
    func batches(count: Int) -> [ChangeBatch] {
        let records = (0..<4).map { RecordID(canonical: "fill-aaaa-bbbb-ccc\(["a", "b", "c", "d"][$0])") }
        var sequence: UInt64 = 0
        var chain = OriginChain(other)
        return (0..<count).map { batch in
            chain.append(
                (0..<20).map { index in
                    sequence += 1
                    let text = "note \(sequence): " + String(repeating: "lorem ipsum ", count: 40)
                    return StoreFixtures.change(
                        other.publicKey, sequence, "notes", .append(entry: text),
                        record: records[(batch + index) % records.count])
                })
        }
    }

    /// With the database capped at a few pages, batches apply until one no longer fits: it fails with
    /// `diskFull` and writes nothing; reopened without the cap, the replica is exactly as before that
    /// batch, and the batch then applies.
    @Test func aFullDiskLeavesTheReplicaAsItWas() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let all = batches(count: 30)
            var capped: SQLiteReplica? = try StoreFixtures.replica(
                in: directory, keys: me, maximumPageCount: 64, trusting: [other.publicKey])
            // What the replica must hold: every batch that applied, nothing of the one that failed.
            var model = ReplicaModel()
            var failed: Int? = nil
            for (index, batch) in all.enumerated() {
                switch Result(catching: { () throws(StoreError) in try capped!.apply(batch) }) {
                case .success(let report):
                    #expect(report.applied == batch.changes.count)
                    for change in batch.changes { model.apply(change) }
                case .failure(let error):
                    #expect(error.code == .diskFull, "\(error)")
                    #expect(error.cause is DatabaseError)
                    failed = index
                }
                if failed != nil { break }
            }
            let index = try #require(failed, "the capped replica never filled up")
            #expect(index > 0, "the cap should leave room for some batches")
            let before = try ReplicaSnapshot(try #require(capped))
            #expect(before.export == model.canonicalExport)
            #expect(before.versions == model.versions)
            #expect(before.statistics.changes == index * 20)
            #expect(before.history == model.changes(after: VersionVector()))
            // The full replica still reads, and still takes a batch it already has.
            #expect(try capped!.apply(all[0]).duplicates == all[0].changes.count)
            capped = nil

            let reopened = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: me))
            #expect(try ReplicaSnapshot(reopened) == before)
            let report = try reopened.apply(all[index])
            #expect(report.applied == all[index].changes.count)
            for change in all[index].changes { model.apply(change) }
            #expect(try reopened.canonicalExport() == model.canonicalExport)
            #expect(try reopened.versions()[other.publicKey] == UInt64((index + 1) * 20))
        }
    }

    /// A local write that does not fit fails with `diskFull` too, and takes no sequence number.
    @Test func aLocalWriteOnAFullDiskWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me, maximumPageCount: 40)
            let text = "notes+=" + String(repeating: "x", count: 1_900)
            let edits = try StoreFixtures.edits(text, text, text)
            var error: StoreError? = nil
            var before = try ReplicaSnapshot(replica)
            let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            for _ in 0..<400 {
                before = try ReplicaSnapshot(replica)
                if case .failure(let failure) = Result(catching: { () throws(StoreError) in
                    try replica.update(.caseFile, id, edits: edits, signer: me)
                }) {
                    error = failure
                    break
                }
            }
            #expect(try #require(error).code == .diskFull)
            #expect(try ReplicaSnapshot(replica) == before)
            // What it offers still ends at a signature: no change of the failed write got out.
            let offered = try replica.changes(after: VersionVector())
            #expect(offered.changes.count == before.statistics.changes)
            #expect(offered.signatures[try #require(offered.changes.last).dot] != nil)
        }
    }

    /// Everything written is there after the replica is closed and opened again: state, node id and
    /// name, peers, and the clock and sequence numbers, which carry on where they were even when the
    /// wall clock has gone back.
    @Test func dataPersistsAcrossReopening() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let clock = ManualClock()
            let keys = StoreFixtures.keys(7)
            let node = keys.publicKey
            var before: ReplicaSnapshot
            var offered: ChangeBatch
            let record: RecordID
            let lastWrite: Change
            var chain = OriginChain(other)
            do {
                let replica = try StoreFixtures.replica(in: directory, keys: keys, clock: clock)
                let (id, _) = try replica.create(
                    .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"), signer: keys)
                record = id
                try replica.addPeer(named: "field-office", node: other.publicKey, role: .admin)
                _ = try replica.apply(chain.append(StoreFixtures.notes(other.publicKey, count: 3)))
                try replica.recordSeen(by: other.publicKey, VersionVector([node: 2]))
                lastWrite = try #require(
                    try replica.update(.caseFile, id, edits: StoreFixtures.edits("notes+=seen"), signer: keys).last)
                before = try ReplicaSnapshot(replica)
                offered = try replica.changes(after: VersionVector())
            }

            clock.advance(by: -3_600_000)
            let reopened = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: keys), wallClock: clock.wallClock)
            #expect(reopened.localNode == node)
            #expect(try reopened.name() == "replica")
            #expect(try ReplicaSnapshot(reopened) == before)
            // The record keys and signatures too: what it offers is the same batch.
            #expect(try reopened.changes(after: VersionVector()) == offered)
            let peers = try reopened.peers()
            #expect(peers.map(\.name) == ["field-office"])
            #expect(peers.first?.seen == VersionVector([node: 2]))
            #expect(peers.first?.role == .admin)
            #expect(try reopened.view(.caseFile, record)?.fields["languages"] == .set(["ar"]))

            let next = try #require(
                try reopened.update(.caseFile, record, edits: StoreFixtures.edits("notes+=again"), signer: keys).first)
            #expect(next.dot == Dot(origin: node, sequence: lastWrite.dot.sequence + 1))
            #expect(next.timestamp > lastWrite.timestamp)
            // The chains carry on where they were: the other node's next change and this node's own
            // next write both verify from the heads kept on disk.
            let more = chain.append(StoreFixtures.notes(other.publicKey, from: 4, count: 2))
            #expect(try reopened.apply(more).applied == 2)
            let elsewhere = try StoreFixtures.replica(
                in: directory, "elsewhere", keys: me, trusting: [node, other.publicKey])
            #expect(try elsewhere.pull(from: reopened).applied == Int(lastWrite.dot.sequence) + 1 + 5)
        }
    }

    /// Opening where there is no replica is `notFound`; creating where there is one is `alreadyExists`.
    @Test func openAndCreateCheckWhatIsThere() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let missing = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path, storageKey: nil) }
            #expect(missing?.code == .notFound)
            #expect(!FileManager.default.fileExists(atPath: path))

            let replica = try StoreFixtures.replica(in: directory, keys: me)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            let before = try ReplicaSnapshot(replica)
            let again = #expect(throws: StoreError.self) {
                try SQLiteReplica.create(at: path, localNode: StoreFixtures.keys(9).publicKey, name: "again", storageKey: .random())
            }
            #expect(again?.code == .alreadyExists)
            #expect(try ReplicaSnapshot(replica) == before)
            #expect(try SQLiteReplica.open(at: path, storageKey: nil).localNode == replica.localNode)
        }
    }

    /// A replica a newer Waypost has migrated is refused with `tooNew`, not opened and half-read.
    @Test func aReplicaFromANewerVersionIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            do {
                let replica = try StoreFixtures.replica(in: directory)
                try replica.database.write { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
                }
            }
            let error = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path, storageKey: nil) }
            #expect(error?.code == .tooNew)
        }
    }
}
