import Foundation
import GRDB
import Testing
import WaypostTesting
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// `changes(after:)`: exactly what the holder of a version vector lacks, with the record keys and
/// signatures that let it verify them, read by key so that its cost follows the number of changes
/// returned, not the size of the replica.
@Suite struct ReplicaChangesAfterTests {
    let keys = [StoreFixtures.keys(1), StoreFixtures.keys(2), StoreFixtures.keys(3)].sorted {
        $0.publicKey < $1.publicKey
    }
    var origins: [NodeID] { keys.map(\.publicKey) }

    /// Many changes of every kind from three origins, with overwrites and removes across origins, each
    /// origin's signed every 100 changes and at `signedAt`.
    func history(perOrigin count: Int, signedAt: Set<UInt64> = []) -> ChangeBatch {
        var batch = ChangeBatch()
        for (position, changes) in changes(perOrigin: count).enumerated() {
            let signed = signedAt.union(stride(from: 100, through: UInt64(count), by: 100))
            batch = batch + OriginChain.signed(changes, by: keys[position], signedAt: signed)
        }
        return batch
    }

    /// Each origin's changes.
    func changes(perOrigin count: Int) -> [[Change]] {
        var random = SplitMix64(seed: 42)
        var changes: [[Change]] = []
        for (position, origin) in origins.enumerated() {
            changes.append([])
            for sequence in 1...UInt64(count) {
                let record = RecordID(
                    canonical: "rec\(["a", "b", "c"][position])-aaaa-bbbb-\(["cccc", "dddd"][Int(sequence % 2)])")
                let earlier = Dot(origin: origins[random.int(in: 0...2)], sequence: UInt64(random.int(in: 1...count)))
                let (field, operation): (String, WaypostCore.Operation)
                switch sequence % 5 {
                case 0: (field, operation) = ("given_name", .assign(value: "name \(sequence)", supersedes: [earlier]))
                case 1: (field, operation) = ("languages", .insert(element: "l\(sequence % 7)"))
                case 2: (field, operation) = ("languages", .remove(element: "l\(sequence % 7)", supersedes: [earlier]))
                case 3: (field, operation) = ("household.amina222.given_name", .assign(value: "", supersedes: []))
                default: (field, operation) = ("notes", .append(entry: "note \(sequence)"))
                }
                changes[position].append(
                    Change(
                        dot: Dot(origin: origin, sequence: sequence),
                        timestamp: StoreFixtures.time(UInt64(random.int(in: 0...100_000))), collection: .caseFile,
                        record: record, field: field, operation: operation))
            }
        }
        return changes
    }

    @Test func changesAfterNearlyEverythingAreExactlyTheMissingOnes() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: StoreFixtures.keys(9), trusting: origins)
            let all = history(perOrigin: 300, signedAt: [295, 299])
            let report = try replica.apply(all)
            #expect(report.applied == all.changes.count)
            let held = try replica.versions()
            #expect(held == VersionVector([origins[0]: 300, origins[1]: 300, origins[2]: 300]))

            #expect(try replica.changes(after: held).changes.isEmpty)
            // Everything, with every record key and every signature it was given, and nothing more.
            let everything = try replica.changes(after: VersionVector())
            #expect(everything == all.inDotOrder)
            #expect(everything.recordKeys.count == 6)
            #expect(everything.signatures.count == 3 * 5)

            // Missing: the last 5 of the first origin and the last of the third.
            let nearlyEverything = VersionVector([origins[0]: 295, origins[1]: 300, origins[2]: 299])
            let missing = try replica.changes(after: nearlyEverything)
            let expected = all.keeping { !nearlyEverything.contains($0.dot) }.inDotOrder
            #expect(expected.changes.count == 6)
            #expect(missing == expected)
            #expect(
                missing.changes.map(\.dot)
                    == (296...300).map { Dot(origin: origins[0], sequence: $0) } + [
                        Dot(origin: origins[2], sequence: 300)
                    ])
            // No record key (each record was introduced long before); the signatures at those changes.
            #expect(missing.recordKeys.isEmpty)
            #expect(
                Set(missing.signatures.keys)
                    == Set(
                        [299, 300].map { Dot(origin: origins[0], sequence: $0) } + [
                            Dot(origin: origins[2], sequence: 300)
                        ]))

            // Origins the replica has never heard of, and counts beyond what it holds, ask for nothing.
            let beyond = VersionVector([
                origins[0]: 400, origins[1]: 300, origins[2]: 300, StoreFixtures.keys(8).publicKey: 3,
            ])
            #expect(try replica.changes(after: beyond).changes.isEmpty)

            // A second replica given only the missing changes on top of the rest ends up identical: it
            // verifies them from the chain heads and record keys it holds.
            let copy = try StoreFixtures.replica(
                in: directory, "copy", keys: StoreFixtures.keys(8), trusting: origins + [replica.localNode])
            #expect(try copy.apply(all.keeping { nearlyEverything.contains($0.dot) }).heldBack.isEmpty)
            #expect(try copy.versions() == nearlyEverything)
            #expect(try copy.apply(missing, from: replica.localNode).applied == missing.changes.count)
            #expect(try copy.canonicalExport() == replica.canonicalExport())
            #expect(try copy.changes(after: VersionVector()) == everything)
        }
    }

    /// Bounded batches (live sync): each stops at the first signature at or after the limit, so a
    /// receiver applies all of it; asking again from what was sent walks the whole history once.
    @Test func boundedBatchesEndAtSignaturesAndCoverEverythingOnce() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: StoreFixtures.keys(9), trusting: origins)
            let all = history(perOrigin: 350)
            #expect(try replica.apply(all).applied == 1050)
            let copy = try StoreFixtures.replica(
                in: directory, "copy", keys: StoreFixtures.keys(8), trusting: origins + [replica.localNode])
            var seen = VersionVector()
            var batches = 0
            while true {
                let batch = try replica.changes(after: seen, limit: 130)
                if batch.changes.isEmpty { break }
                batches += 1
                // Every origin's run ends on a signature (every 100 here, and at the end), so all applies.
                for origin in Set(batch.changes.map(\.dot.origin)) {
                    let last = batch.changes.filter { $0.dot.origin == origin }.map(\.dot).max { $0.sequence < $1.sequence }!
                    #expect(batch.signatures[last] != nil, "a run ends at a signature: \(last)")
                }
                #expect(batch.changes.count <= 130 + 99 * 3)
                let report = try copy.apply(batch, from: replica.localNode)
                #expect(report.heldBackCount == 0 && report.duplicates == 0)
                for change in batch.changes { seen.advance(change.dot.origin, to: change.dot.sequence) }
            }
            #expect(batches >= 1050 / (130 + 99 * 3))
            #expect(try copy.canonicalExport() == replica.canonicalExport())

            // Cut exactly at the limit, a run may end unsigned: the receiver holds it back, nothing is lost.
            let exact = try replica.changes(after: VersionVector(), limit: 130, endAtSignature: false)
            #expect(exact.changes.count == 130)
        }
    }

    /// The query `changes(after:)` runs is a range search on the `changes` primary key, in key order:
    /// no scan of the table and no sort, whatever the replica holds.
    @Test func changesAfterSearchesThePrimaryKey() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: StoreFixtures.keys(9), trusting: origins)
            #expect(try replica.apply(history(perOrigin: 50)).applied == 150)
            // The query as `changes(after:)` runs it, with the record key and the signature at each change.
            let plan = try replica.database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        EXPLAIN QUERY PLAN SELECT \(ChangeRow.columns), k.key, s.signature FROM changes c
                        LEFT JOIN record_keys k ON k.origin = c.origin AND k.introduced = c.sequence
                        LEFT JOIN signatures s ON s.origin = c.origin AND s.sequence = c.sequence
                        WHERE c.origin = ? AND c.sequence > ? ORDER BY c.sequence
                        """, arguments: [1, 10]
                ).map { $0["detail"] as String }
            }
            #expect(plan.count == 3)
            #expect(plan.first?.contains("PRIMARY KEY") == true && plan.first?.contains("sequence>?") == true)
            #expect(plan.contains { $0.contains("record_keys_by_change") && $0.contains("introduced=?") })
            #expect(plan.allSatisfy { $0.hasPrefix("SEARCH") && ($0.contains("PRIMARY KEY") || $0.contains("INDEX")) })
            #expect(!plan.contains { $0.contains("SCAN") || $0.contains("TEMP B-TREE") })
        }
    }
}
