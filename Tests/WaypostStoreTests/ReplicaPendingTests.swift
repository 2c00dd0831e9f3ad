import Foundation
import GRDB
import Testing
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// The `pending` table: changes that arrive before their origin's earlier ones are kept, not dropped,
/// and applied (after verification) when what they need arrives; kept changes that turn out forged
/// are discarded; and they survive closing the replica.
@Suite struct ReplicaPendingTests {
    let aKeys = StoreFixtures.keys(31)
    let bKeys = StoreFixtures.keys(32)
    var a: NodeID { aKeys.publicKey }

    /// A's writes, each as the batch A offered right after making it (its changes only, signed at
    /// the last), and A's replica.
    func writes(in directory: URL) throws -> (a: SQLiteReplica, batches: [ChangeBatch]) {
        let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
        var batches: [ChangeBatch] = []
        var seen = VersionVector()
        func offer() throws {
            batches.append(try a.changes(after: seen))
            seen = try a.versions()
        }
        let (record, _) = try a.create(
            .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"), signer: aKeys)
        try offer()
        _ = try a.update(
            .caseFile, record, edits: StoreFixtures.edits("given_name=Aminah", "notes+=seen at the clinic"),
            signer: aKeys)
        try offer()
        let (service, _) = try a.create(
            .service, edits: StoreFixtures.edits("name=Night shelter", "capacity_total=40", in: .service), signer: aKeys
        )
        _ = try a.update(.service, service, edits: StoreFixtures.edits("occupied+=5", in: .service), signer: aKeys)
        try offer()
        _ = try a.update(
            .caseFile, record, edits: StoreFixtures.edits("languages-=ar", "languages+=fr", "risk_level=high"),
            signer: aKeys)
        try offer()
        return (a, batches)
    }

    /// Everything a person or a peer can see of a replica, to compare two byte for byte.
    struct Everything: Equatable {
        let export: String
        let versions: VersionVector
        let offered: ChangeBatch
        let conflicts: [SQLiteReplica.Conflict]
        let statistics: SQLiteReplica.Statistics
        let cases: [[String]]
        let services: [[String]]

        init(_ replica: SQLiteReplica, path: String) throws {
            export = try replica.canonicalExport()
            versions = try replica.versions()
            offered = try replica.changes(after: VersionVector())
            conflicts = try replica.conflicts()
            statistics = try replica.statistics()
            cases = try viewRows(replica, "cases")
            services = try viewRows(replica, "services")
        }
    }

    /// One origin's batches applied newest first are all kept until the oldest arrives, while another
    /// origin's changes apply meanwhile; then everything applies, and the replica is byte for byte the
    /// one that received them in order.
    @Test func batchesAppliedNewestFirstAreKeptAndConverge() throws {
        try withTemporaryDirectory { directory in
            let (writer, batches) = try writes(in: directory)
            #expect(batches.map(\.changes.count) == [3, 2, 4, 3])
            #expect(batches.map(\.signatures.count) == [1, 1, 2, 1])
            let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys)
            _ = try b.create(.caseFile, edits: StoreFixtures.edits("given_name=Yusuf"), signer: bKeys)
            let fromB = try b.changes(after: VersionVector())

            let reversed = try StoreFixtures.replica(
                in: directory, "reversed", keys: StoreFixtures.keys(33), trusting: [a, bKeys.publicKey])
            var kept = 0
            for batch in batches.dropFirst().reversed() {
                let report = try reversed.apply(batch, from: a)
                kept += batch.changes.count
                #expect(report.applied == 0)
                #expect(report.heldBack[a]?.expected == 1)
                #expect(report.heldBack[a]?.count == kept)
                #expect(try reversed.versions() == VersionVector())
                #expect(try reversed.canonicalExport() == ReplicaModel().canonicalExport)
                #expect(try pendingCounts(reversed) == [a: kept])
            }
            // Another origin is not held up by A's gap.
            #expect(try reversed.apply(fromB).applied == fromB.changes.count)
            #expect(try pendingCounts(reversed) == [a: kept])

            let last = try reversed.apply(batches[0], from: a)
            #expect(last.applied == kept + batches[0].changes.count)
            #expect(last.heldBack.isEmpty)
            #expect(last.discarded == 0)
            #expect(try pendingCounts(reversed).isEmpty)

            let inOrder = try StoreFixtures.replica(
                in: directory, "in-order", keys: StoreFixtures.keys(34), trusting: [a, bKeys.publicKey])
            for batch in batches { #expect(try inOrder.apply(batch, from: a).heldBack.isEmpty) }
            #expect(try inOrder.apply(fromB).applied == fromB.changes.count)

            let expected = try Everything(inOrder, path: directory.replicaPath("in-order"))
            #expect(try Everything(reversed, path: directory.replicaPath("reversed")) == expected)
            #expect(
                try reversed.changes(after: VersionVector()).only(from: a)
                    == (try writer.changes(after: VersionVector())))
        }
    }

    /// A kept change that was altered on the way is found out when its real predecessors arrive: the
    /// real chain wins, the forged change is discarded (and reported), and once the real change comes
    /// the replica is exactly the honest one. A kept forgery replaced by the real change before it can
    /// be verified is simply gone.
    @Test func aForgedKeptChangeIsDiscardedWhenTheRealChainArrives() throws {
        try withTemporaryDirectory { directory in
            let (writer, batches) = try writes(in: directory)
            let honest = try StoreFixtures.replica(in: directory, "honest", keys: StoreFixtures.keys(35), trusting: [a])
            for batch in batches.prefix(2) { _ = try honest.apply(batch) }

            let second = batches[1]
            let name = try #require(second.changes.first { $0.field == "given_name" })
            let forged = second.replacing(name.dot) {
                $0.with(operation: .assign(value: "Mallory", supersedes: name.operation.supersedes))
            }

            let receiver = try StoreFixtures.replica(
                in: directory, "receiver", keys: StoreFixtures.keys(36), trusting: [a])
            let kept = try receiver.apply(forged)
            #expect(kept.applied == 0)
            #expect(kept.heldBackCount == second.changes.count)
            #expect(try pendingCounts(receiver) == [a: second.changes.count])

            // The real first write: it applies; the kept forgery fails A's signature and is dropped.
            let first = try receiver.apply(batches[0])
            #expect(first.applied == batches[0].changes.count)
            #expect(first.discarded == second.changes.count)
            #expect(first.heldBack.isEmpty)
            #expect(try pendingCounts(receiver).isEmpty)
            #expect(try receiver.versions()[a] == UInt64(batches[0].changes.count))

            // The real second write applies, and the replica is the honest one.
            #expect(try receiver.apply(second).applied == second.changes.count)
            #expect(
                try Everything(receiver, path: directory.replicaPath("receiver"))
                    == Everything(honest, path: directory.replicaPath("honest")))
            #expect(!(try receiver.canonicalExport().contains("Mallory")))

            // Elsewhere the forgery is kept, then the real changes come in one batch with their
            // predecessors: they replace it and apply, with nothing to discard.
            let other = try StoreFixtures.replica(in: directory, "other", keys: StoreFixtures.keys(37), trusting: [a])
            _ = try other.apply(forged)
            let all = try other.apply(batches[0] + second)
            #expect(all.applied == batches[0].changes.count + second.changes.count)
            #expect(all.discarded == 0)
            #expect(try other.canonicalExport() == honest.canonicalExport())
            #expect(
                try other.changes(after: VersionVector())
                    == (try writer.changes(after: VersionVector())).keeping {
                        $0.dot.sequence <= UInt64(batches[0].changes.count + second.changes.count)
                    })
        }
    }

    /// Kept changes are on disk: closed and opened again, the replica still holds them (those after a
    /// gap, and an unsigned tail), and they apply when what they need arrives.
    @Test func keptChangesSurviveClosingAndReopening() throws {
        try withTemporaryDirectory { directory in
            let (writer, batches) = try writes(in: directory)
            let path = directory.replicaPath("receiver")
            var unsignedFirst = batches[0]
            unsignedFirst.signatures = [:]
            let kept = batches[0].changes.count + batches[3].changes.count
            do {
                let receiver = try StoreFixtures.replica(
                    in: directory, "receiver", keys: StoreFixtures.keys(38), trusting: [a])
                #expect(try receiver.apply(batches[3]).heldBackCount == batches[3].changes.count)
                let report = try receiver.apply(unsignedFirst)
                #expect(report.applied == 0)
                #expect(report.heldBack[a]?.expected == 1)
                #expect(report.heldBack[a]?.count == kept)
                #expect(try pendingCounts(receiver) == [a: kept])
            }

            let reopened = try SQLiteReplica.open(at: path, storageKey: StorageKey(derivedFrom: StoreFixtures.keys(38)))
            #expect(try pendingCounts(reopened) == [a: kept])
            #expect(try reopened.versions() == VersionVector())
            #expect(try reopened.statistics().changes == 0)
            // The writes in between bring the signatures and the missing changes: everything applies.
            let report = try reopened.apply(batches[1] + batches[2])
            #expect(try report.applied == writer.changes(after: VersionVector()).changes.count)
            #expect(report.heldBack.isEmpty)
            #expect(try pendingCounts(reopened).isEmpty)
            #expect(try reopened.canonicalExport() == writer.canonicalExport())
            // Only the signature at the first write's end is not there: it never arrived.
            var expected = try writer.changes(after: VersionVector())
            expected.signatures[Dot(origin: a, sequence: 3)] = nil
            #expect(try reopened.changes(after: VersionVector()) == expected)
        }
    }
}

/// Bounds on what the `pending` table holds (issue 15 §2): a trusted sender cannot plant unlimited
/// unverified changes under another origin.
@Suite struct PendingLimitsTests {
    let aKeys = StoreFixtures.keys(41)
    let bKeys = StoreFixtures.keys(42)

    private func held(_ replica: SQLiteReplica) throws -> [UInt64] {
        try replica.database.read { db in try Int64.fetchAll(db, sql: "SELECT sequence FROM pending ORDER BY sequence") }
            .map { UInt64($0) }
    }

    @Test("changes far ahead of their origin are not held; within the window they are, up to the table's total")
    func pendingIsBounded() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
            for index in 0..<20 {
                _ = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Case\(index)"), signer: aKeys)
            }
            let all = try a.changes(after: VersionVector())
            var gap = all
            gap.changes = all.changes.filter { $0.dot.sequence > 4 }

            let windowed = try SQLiteReplica.create(
                at: directory.replicaPath("windowed"), localNode: bKeys.publicKey, name: "w",
                storageKey: StorageKey(derivedFrom: bKeys), pendingLimits: PendingLimits(window: 10, total: 1000))
            try windowed.addPeer(named: "a", node: aKeys.publicKey)
            let report = try windowed.apply(gap, from: aKeys.publicKey)
            #expect(try held(windowed) == Array(5...10))
            #expect(report.notHeld == gap.changes.count - 6)
            // Garbage under a trusted origin, sent by any trusted sender, a billion sequences ahead: not kept.
            let far = StoreFixtures.notes(aKeys.publicKey, from: 1 << 30, count: 50)
            let planted = try windowed.apply(ChangeBatch(changes: far), from: aKeys.publicKey)
            #expect(planted.notHeld == 50)
            #expect(try held(windowed) == Array(5...10))
            // Everything, once it comes: the replica catches up whatever it had dropped.
            _ = try windowed.apply(all, from: aKeys.publicKey)
            #expect(try windowed.versions() == a.versions())
            #expect(try held(windowed).isEmpty)

            let capped = try SQLiteReplica.create(
                at: directory.replicaPath("capped"), localNode: bKeys.publicKey, name: "c",
                storageKey: StorageKey(derivedFrom: bKeys), pendingLimits: PendingLimits(window: 1000, total: 4))
            try capped.addPeer(named: "a", node: aKeys.publicKey)
            let cappedReport = try capped.apply(gap, from: aKeys.publicKey)
            #expect(try held(capped) == [5, 6, 7, 8], "the earliest are kept: they unblock the origin soonest")
            #expect(cappedReport.notHeld == gap.changes.count - 4)
            _ = try capped.apply(all, from: aKeys.publicKey)
            #expect(try capped.versions() == a.versions())
        }
    }
}
