import Foundation
import GRDB
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// `changes(after:)`: exactly what the holder of a version vector lacks, read by key so that its cost
/// follows the number of changes returned, not the size of the replica.
@Suite struct ReplicaChangesAfterTests {
    let origins = [StoreFixtures.node(1), StoreFixtures.node(2), StoreFixtures.node(3)]

    /// Many changes of every kind from three origins, with overwrites and removes across origins.
    func history(perOrigin count: Int) -> [Change] {
        var random = SplitMix64(seed: 42)
        var changes: [Change] = []
        for (position, origin) in origins.enumerated() {
            for sequence in 1...UInt64(count) {
                let record = RecordID(canonical: "rec\(position)-aaaa-bbbb-\(["cccc", "dddd"][Int(sequence % 2)])")
                let earlier = Dot(origin: origins[random.int(in: 0...2)], sequence: UInt64(random.int(in: 1...count)))
                let (field, operation): (String, WaypostCore.Operation)
                switch sequence % 5 {
                case 0: (field, operation) = ("given_name", .assign(value: "name \(sequence)", supersedes: [earlier]))
                case 1: (field, operation) = ("languages", .insert(element: "l\(sequence % 7)"))
                case 2: (field, operation) = ("languages", .remove(element: "l\(sequence % 7)", supersedes: [earlier]))
                case 3: (field, operation) = ("household.amina222.given_name", .assign(value: "", supersedes: []))
                default: (field, operation) = ("notes", .append(entry: "note \(sequence)"))
                }
                changes.append(
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
            let replica = try StoreFixtures.replica(in: directory, node: StoreFixtures.node(9))
            let all = history(perOrigin: 600)
            let report = try replica.apply(all)
            #expect(report.applied == all.count)
            let held = try replica.versions()
            #expect(held == VersionVector([origins[0]: 600, origins[1]: 600, origins[2]: 600]))

            #expect(try replica.changes(after: held).isEmpty)
            #expect(try replica.changes(after: VersionVector()) == all.sorted { $0.dot < $1.dot })

            // Missing: the last 5 of the first origin and the last of the third.
            let nearlyEverything = VersionVector([origins[0]: 595, origins[1]: 600, origins[2]: 599])
            let missing = try replica.changes(after: nearlyEverything)
            let expected = all.filter { !nearlyEverything.contains($0.dot) }.sorted { $0.dot < $1.dot }
            #expect(expected.count == 6)
            #expect(missing == expected)
            #expect(missing.map(\.dot) == (596...600).map { Dot(origin: origins[0], sequence: $0) } + [Dot(origin: origins[2], sequence: 600)])

            // Origins the replica has never heard of, and counts beyond what it holds, ask for nothing.
            let beyond = VersionVector([origins[0]: 700, origins[1]: 600, origins[2]: 600, StoreFixtures.node(8): 3])
            #expect(try replica.changes(after: beyond).isEmpty)

            // A second replica given only the missing changes on top of the rest ends up identical.
            let copy = try StoreFixtures.replica(in: directory, "copy", node: StoreFixtures.node(8))
            _ = try copy.apply(all.filter { nearlyEverything.contains($0.dot) })
            #expect(try copy.versions() == nearlyEverything)
            #expect(try copy.apply(missing).applied == missing.count)
            #expect(try copy.canonicalExport() == replica.canonicalExport())
        }
    }

    /// The query `changes(after:)` runs is a range search on the `changes` primary key, in key order:
    /// no scan of the table and no sort, whatever the replica holds.
    @Test func changesAfterSearchesThePrimaryKey() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            _ = try replica.apply(history(perOrigin: 50))
            let plan = try replica.database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        EXPLAIN QUERY PLAN SELECT \(ChangeRow.columns) FROM changes c
                        WHERE c.origin = ? AND c.sequence > ? ORDER BY c.sequence
                        """, arguments: [1, 10]
                ).map { $0["detail"] as String }
            }
            #expect(plan.count == 1)
            #expect(plan.allSatisfy { $0.hasPrefix("SEARCH") && $0.contains("PRIMARY KEY") && $0.contains("sequence>?") })
            #expect(!plan.contains { $0.contains("SCAN") || $0.contains("TEMP B-TREE") })
        }
    }
}
