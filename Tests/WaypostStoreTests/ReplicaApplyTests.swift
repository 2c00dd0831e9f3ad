import Foundation
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// `SQLiteReplica.apply`: repeats, gaps, invalid changes, clocks that run ahead, and causality over time.
@Suite struct ReplicaApplyTests {
    let schema = StoreFixtures.schema
    let other = StoreFixtures.node(2)
    let third = StoreFixtures.node(3)

    /// Applying a batch a second time reports every change as a duplicate and changes nothing.
    @Test func applyingTheSameBatchTwiceChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let batch = [
                StoreFixtures.change(other, 1, "given_name", .assign(value: "Amina", supersedes: [])),
                StoreFixtures.change(other, 2, "languages", .insert(element: "ar")),
                StoreFixtures.change(other, 3, "notes", .append(entry: "first visit")),
                StoreFixtures.change(
                    other, 4, "household.amina222.given_name", .assign(value: "Sara", supersedes: [])),
            ]
            let first = try replica.apply(batch)
            #expect(first.applied == 4)
            #expect(first.duplicates == 0)
            #expect(first.heldBack.isEmpty)
            let before = try ReplicaSnapshot(replica)
            #expect(before.statistics.changes == 4)
            #expect(before.statistics.records[.caseFile] == 1)

            let second = try replica.apply(batch)
            #expect(second.applied == 0)
            #expect(second.duplicates == 4)
            #expect(second.heldBack.isEmpty)
            #expect(try ReplicaSnapshot(replica) == before)

            // A batch that mixes old and new changes applies only the new ones.
            let mixed = try replica.apply(
                batch + [StoreFixtures.change(other, 5, "languages", .insert(element: "fr"))])
            #expect(mixed.applied == 1)
            #expect(mixed.duplicates == 4)
            #expect(try replica.versions()[other] == 5)
        }
    }

    /// A change whose predecessor is missing is held back with everything after it from the same
    /// origin; other origins and the changes before the gap are applied.
    @Test func aGapHoldsBackTheLaterChangesOfItsOrigin() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let changes = StoreFixtures.notes(other, count: 5)
            let fromThird = StoreFixtures.notes(third, count: 2)
            let batch = [changes[0], changes[1], changes[3], fromThird[0], changes[4], fromThird[1]]

            let report = try replica.apply(batch)
            #expect(report.applied == 4)
            #expect(report.duplicates == 0)
            #expect(report.heldBackCount == 2)
            #expect(report.heldBack[other]?.expected == 3)
            #expect(report.heldBack[other]?.count == 2)
            #expect(report.heldBack[third] == nil)
            #expect(try replica.versions() == VersionVector([other: 2, third: 2]))

            // Nothing of the held-back changes is in the state: it is exactly that of the changes before the gap.
            var model = ReplicaModel()
            for change in [changes[0], changes[1], fromThird[0], fromThird[1]] { model.apply(change) }
            #expect(try replica.canonicalExport() == model.canonicalExport)
            #expect(try replica.changes(after: VersionVector()).count == 4)

            // The missing change and the ones held back arrive: everything applies.
            let rest = try replica.apply([changes[2], changes[3], changes[4]])
            #expect(rest.applied == 3)
            #expect(rest.heldBack.isEmpty)
            for change in changes[2...] { model.apply(change) }
            #expect(try replica.canonicalExport() == model.canonicalExport)
        }
    }

    /// Changes that do not fit the schema, each at the end of a batch whose other changes are valid.
    static let invalidChanges: [(String, WaypostCore.Operation)] = [
        ("given_name", .insert(element: "Amina")),  // an insert on a register
        ("languages", .assign(value: "ar", supersedes: [])),  // an assign on a set
        ("date_of_birth", .assign(value: "2024-02-30", supersedes: [])),  // no such date
        ("date_of_birth", .assign(value: "2024-2-3", supersedes: [])),  // not YYYY-MM-DD
        ("status", .assign(value: "Open", supersedes: [])),  // not in canonical form: "open"
        ("dob_estimated", .assign(value: "yes", supersedes: [])),  // not in canonical form: "true"
        ("languages", .insert(element: "EN")),  // not in canonical form: "en"
        ("favourite_colour", .assign(value: "blue", supersedes: [])),  // no such field
        ("household.AMINA222.given_name", .assign(value: "Sara", supersedes: [])),  // key not canonical
        ("household.amina222.shoe_size", .assign(value: "40", supersedes: [])),  // no such entry field
        ("consent", .append(entry: "yes")),  // a structured log needs a structured entry
    ]

    /// One invalid change makes the whole batch fail with `invalid`, and nothing of it is written,
    /// not even the valid changes before it.
    @Test(arguments: 0..<invalidChanges.count)
    func anInvalidChangeRejectsTheWholeBatch(index: Int) throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            _ = try replica.apply([StoreFixtures.change(third, 1, "given_name", .assign(value: "Leila", supersedes: []))])
            let before = try ReplicaSnapshot(replica)

            let (field, operation) = Self.invalidChanges[index]
            let batch = [
                StoreFixtures.change(other, 1, "given_name", .assign(value: "Amina", supersedes: [])),
                StoreFixtures.change(other, 2, "languages", .insert(element: "ar")),
                StoreFixtures.change(other, 3, field, operation),
            ]
            let error = #expect(throws: StoreError.self) { try replica.apply(batch) }
            #expect(error?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)
            #expect(try replica.versions()[other] == 0)

            // The valid part alone applies.
            #expect(try replica.apply(Array(batch.prefix(2))).applied == 2)
        }
    }

    /// A change from a node whose clock runs a year fast is merged, the origin is reported, and this
    /// node's clock does not follow it: its next change is stamped with its own wall clock.
    @Test func aChangeFromAYearAheadIsAppliedWithoutDraggingTheClock() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try StoreFixtures.replica(in: directory, clock: clock)
            let wall = clock.read()
            let ahead = Change(
                dot: Dot(origin: other, sequence: 1), timestamp: HybridTimestamp(milliseconds: wall + StoreFixtures.year),
                collection: .caseFile, record: StoreFixtures.caseRecord, field: "given_name",
                operation: .assign(value: "Amina", supersedes: []))

            let report = try replica.apply([ahead])
            #expect(report.applied == 1)
            #expect(report.originsAhead == [other])
            #expect(try replica.versions()[other] == 1)
            let view = try #require(try replica.view(.caseFile, StoreFixtures.caseRecord))
            #expect(view.json(schema: schema).canonical.contains(#""given_name":"Amina""#))
            #expect(try replica.statistics().origins[other]?.latest == ahead.timestamp)

            clock.advance(by: 1_000)
            let changes = try replica.update(
                .caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("family_name=Haddad"))
            let written = try #require(changes.first)
            #expect(written.timestamp.milliseconds == wall + 1_000)
            #expect(written.timestamp < ahead.timestamp)
        }
    }

    /// A change a minute ahead is within the allowed drift: it is not reported, and the clock moves
    /// past it, so the next local change is stamped after it.
    @Test func aChangeSlightlyAheadMovesTheClockPastIt() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try StoreFixtures.replica(in: directory, clock: clock)
            let remote = HybridTimestamp(milliseconds: clock.read() + 60_000, counter: 3)
            let change = Change(
                dot: Dot(origin: other, sequence: 1), timestamp: remote, collection: .caseFile,
                record: StoreFixtures.caseRecord, field: "given_name", operation: .assign(value: "Amina", supersedes: []))
            let report = try replica.apply([change])
            #expect(report.applied == 1)
            #expect(report.originsAhead.isEmpty)

            let written = try replica.update(
                .caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("given_name=Leila"))
            #expect(written.count == 1)
            #expect(written.first?.timestamp == remote.successor)
            #expect(written.first?.operation == .assign(value: "Leila", supersedes: [change.dot]))
        }
    }

    /// Causality, not time, decides what overwrites what: node B, having seen node A's write stamped a
    /// year ahead, writes the same field with an earlier timestamp, and its value wins everywhere with
    /// no conflict.
    @Test func causalityBeatsTime() throws {
        try withTemporaryDirectory { directory in
            let aClock = ManualClock(StoreFixtures.baseMilliseconds + StoreFixtures.year)
            let a = try StoreFixtures.replica(in: directory, "a", node: StoreFixtures.node(1), clock: aClock)
            let b = try StoreFixtures.replica(in: directory, "b", node: StoreFixtures.node(2))
            let c = try StoreFixtures.replica(in: directory, "c", node: StoreFixtures.node(3))

            let (record, created) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            let report = try b.apply(created)
            #expect(report.originsAhead == [a.localNode])
            let bChanges = try b.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Yusuf"))
            let bWrite = try #require(bChanges.first)
            let aWrite = try #require(created.first { $0.field == "given_name" })
            #expect(bWrite.timestamp < aWrite.timestamp)
            #expect(bWrite.operation == .assign(value: "Yusuf", supersedes: [aWrite.dot]))

            _ = try a.apply(bChanges)
            _ = try c.apply(bChanges)  // B's write before A's: A's must stay overwritten when it arrives.
            _ = try c.apply(created)
            for replica in [a, b, c] {
                let view = try #require(try replica.view(.caseFile, record))
                guard case .register(let values)? = view.fields["given_name"] else {
                    Issue.record("given_name is not a register")
                    continue
                }
                #expect(values.map(\.value) == ["Yusuf"])
                #expect(view.conflicts.isEmpty)
                #expect(try replica.conflicts().isEmpty)
            }
            #expect(try a.canonicalExport() == b.canonicalExport())
            #expect(try c.canonicalExport() == b.canonicalExport())
        }
    }

    /// Two writes that did not see each other are both kept, in one conflict; a later write that saw
    /// both resolves it.
    @Test func concurrentWritesConflictUntilAWriteResolvesThem() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let a = try StoreFixtures.replica(in: directory, "a", node: StoreFixtures.node(1), clock: clock)
            let b = try StoreFixtures.replica(in: directory, "b", node: StoreFixtures.node(2), clock: clock)
            let (record, created) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            _ = try b.apply(created)
            clock.advance(by: 10)
            let fromA = try a.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Aminah"))
            clock.advance(by: 10)
            let fromB = try b.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Amina H."))
            _ = try a.apply(fromB)
            _ = try b.apply(fromA)

            let conflicts = try a.conflicts()
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.field == "given_name")
            #expect(conflicts.first?.values.map(\.value) == ["Amina H.", "Aminah"])  // the latest shown first
            #expect(try b.conflicts() == conflicts)
            #expect(try a.statistics().conflicts == 1)

            let resolution = try a.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Aminah"))
            #expect(Set(resolution.first?.operation.supersedes ?? []) == Set((fromA + fromB).map(\.dot)))
            _ = try b.apply(resolution)
            #expect(try a.conflicts().isEmpty)
            #expect(try b.conflicts().isEmpty)
            #expect(try b.statistics().conflicts == 0)
        }
    }
}
