import Foundation
import GRDB
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// What survives: a full disk leaves the replica as it was, data outlives closing and reopening, and
/// opening refuses what is not a replica this version can read.
@Suite struct ReplicaDurabilityTests {
    let other = StoreFixtures.node(2)

    /// Batches of 20 long notes, spread over a few records, from another node.
    func batches(count: Int) -> [[Change]] {
        let records = (0..<4).map { RecordID(canonical: "fill-aaaa-bbbb-ccc\(["a", "b", "c", "d"][$0])") }
        var sequence: UInt64 = 0
        return (0..<count).map { batch in
            (0..<20).map { index in
                sequence += 1
                let text = "note \(sequence): " + String(repeating: "lorem ipsum ", count: 40)
                return StoreFixtures.change(
                    other, sequence, "notes", .append(entry: text), record: records[(batch + index) % records.count])
            }
        }
    }

    /// With the database capped at a few pages, batches apply until one no longer fits: it fails with
    /// `diskFull` and writes nothing; reopened without the cap, the replica is exactly as before that
    /// batch, and the batch then applies.
    @Test func aFullDiskLeavesTheReplicaAsItWas() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let all = batches(count: 30)
            var capped: SQLiteReplica? = try StoreFixtures.replica(in: directory, maximumPageCount: 64)
            // What the replica must hold: every batch that applied, nothing of the one that failed.
            var model = ReplicaModel()
            var failed: Int? = nil
            for (index, batch) in all.enumerated() {
                switch Result(catching: { () throws(StoreError) in try capped!.apply(batch) }) {
                case .success(let report):
                    #expect(report.applied == batch.count)
                    for change in batch { model.apply(change) }
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
            #expect(try capped!.apply(all[0]).duplicates == all[0].count)
            capped = nil

            let reopened = try SQLiteReplica.open(at: path)
            #expect(try ReplicaSnapshot(reopened) == before)
            let report = try reopened.apply(all[index])
            #expect(report.applied == all[index].count)
            for change in all[index] { model.apply(change) }
            #expect(try reopened.canonicalExport() == model.canonicalExport)
            #expect(try reopened.versions()[other] == UInt64((index + 1) * 20))
        }
    }

    /// A local write that does not fit fails with `diskFull` too, and takes no sequence number.
    @Test func aLocalWriteOnAFullDiskWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, maximumPageCount: 40)
            let text = "notes+=" + String(repeating: "x", count: 1_900)
            let edits = try StoreFixtures.edits(text, text, text)
            var error: StoreError? = nil
            var before = try ReplicaSnapshot(replica)
            let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            for _ in 0..<400 {
                before = try ReplicaSnapshot(replica)
                if case .failure(let failure) = Result(catching: { () throws(StoreError) in
                    try replica.update(.caseFile, id, edits: edits)
                }) {
                    error = failure
                    break
                }
            }
            #expect(try #require(error).code == .diskFull)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    /// Everything written is there after the replica is closed and opened again: state, node id and
    /// name, peers, and the clock and sequence numbers, which carry on where they were even when the
    /// wall clock has gone back.
    @Test func dataPersistsAcrossReopening() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let clock = ManualClock()
            let node = StoreFixtures.node(7)
            var before: ReplicaSnapshot
            let record: RecordID
            let lastWrite: Change
            do {
                let replica = try StoreFixtures.replica(in: directory, node: node, clock: clock)
                let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"))
                record = id
                _ = try replica.apply(StoreFixtures.notes(other, count: 3))
                try replica.addPeer(named: "field-office", node: other)
                try replica.recordSeen(by: other, VersionVector([node: 2]))
                lastWrite = try #require(try replica.update(.caseFile, id, edits: StoreFixtures.edits("notes+=seen")).last)
                before = try ReplicaSnapshot(replica)
            }

            clock.advance(by: -3_600_000)
            let reopened = try SQLiteReplica.open(at: path, wallClock: clock.wallClock)
            #expect(reopened.localNode == node)
            #expect(try reopened.name() == "replica")
            #expect(try ReplicaSnapshot(reopened) == before)
            let peers = try reopened.peers()
            #expect(peers.map(\.name) == ["field-office"])
            #expect(peers.first?.seen == VersionVector([node: 2]))
            #expect(try reopened.view(.caseFile, record)?.fields["languages"] == .set(["ar"]))

            let next = try #require(try reopened.update(.caseFile, record, edits: StoreFixtures.edits("notes+=again")).first)
            #expect(next.dot == Dot(origin: node, sequence: lastWrite.dot.sequence + 1))
            #expect(next.timestamp > lastWrite.timestamp)
        }
    }

    /// Opening where there is no replica is `notFound`; creating where there is one is `alreadyExists`.
    @Test func openAndCreateCheckWhatIsThere() throws {
        try withTemporaryDirectory { directory in
            let path = directory.replicaPath()
            let missing = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path) }
            #expect(missing?.code == .notFound)
            #expect(!FileManager.default.fileExists(atPath: path))

            let replica = try StoreFixtures.replica(in: directory)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            let before = try ReplicaSnapshot(replica)
            let again = #expect(throws: StoreError.self) {
                try SQLiteReplica.create(at: path, localNode: StoreFixtures.node(9), name: "again")
            }
            #expect(again?.code == .alreadyExists)
            #expect(try ReplicaSnapshot(replica) == before)
            #expect(try SQLiteReplica.open(at: path).localNode == replica.localNode)
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
            let error = #expect(throws: StoreError.self) { try SQLiteReplica.open(at: path) }
            #expect(error?.code == .tooNew)
        }
    }
}
