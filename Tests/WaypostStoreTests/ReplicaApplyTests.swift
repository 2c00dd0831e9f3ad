import Foundation
import Testing
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// `SQLiteReplica.apply`: repeats, gaps, invalid changes, clocks that run ahead, and causality over time.
@Suite struct ReplicaApplyTests {
    let schema = StoreFixtures.schema
    let me = StoreFixtures.keys(1)
    let other = StoreFixtures.keys(2)
    let third = StoreFixtures.keys(3)

    /// A replica of `me` that trusts the other two nodes.
    func replica(in directory: URL, clock: ManualClock = ManualClock()) throws -> SQLiteReplica {
        try StoreFixtures.replica(
            in: directory, keys: me, clock: clock, trusting: [other.publicKey, third.publicKey])
    }

    /// Applying a batch a second time reports every change as a duplicate and changes nothing.
    @Test func applyingTheSameBatchTwiceChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try replica(in: directory)
            let origin = other.publicKey
            var chain = OriginChain(other)
            let batch = chain.append([
                StoreFixtures.change(origin, 1, "given_name", .assign(value: "Amina", supersedes: [])),
                StoreFixtures.change(origin, 2, "languages", .insert(element: "ar")),
                StoreFixtures.change(origin, 3, "notes", .append(entry: "first visit")),
                StoreFixtures.change(
                    origin, 4, "household.amina222.given_name", .assign(value: "Sara", supersedes: [])),
            ])
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
                batch + chain.append([StoreFixtures.change(origin, 5, "languages", .insert(element: "fr"))]))
            #expect(mixed.applied == 1)
            #expect(mixed.duplicates == 4)
            #expect(try replica.versions()[origin] == 5)
        }
    }

    /// A change whose predecessor is missing is kept back with everything after it from the same
    /// origin; other origins and the signed changes before the gap are applied. When the missing
    /// change arrives alone, the changes kept back apply with it.
    @Test func aGapKeepsTheLaterChangesOfItsOriginUntilItIsFilled() throws {
        try withTemporaryDirectory { directory in
            let replica = try replica(in: directory)
            let (a, b) = (other.publicKey, third.publicKey)
            let changes = OriginChain.signed(StoreFixtures.notes(a, count: 5), by: other, signedAt: [2])
            let fromThird = OriginChain.signed(StoreFixtures.notes(b, count: 2), by: third)
            let gap = Dot(origin: a, sequence: 3)
            let batch = changes.keeping { $0.dot != gap } + fromThird

            let report = try replica.apply(batch)
            #expect(report.applied == 4)
            #expect(report.duplicates == 0)
            #expect(report.heldBackCount == 2)
            #expect(report.heldBack[a]?.expected == 3)
            #expect(report.heldBack[a]?.count == 2)
            #expect(report.heldBack[b] == nil)
            #expect(try replica.versions() == VersionVector([a: 2, b: 2]))
            #expect(try pendingCounts(replica) == [a: 2])

            // Nothing of the kept changes is in the state: it is exactly that of the changes before the gap.
            var model = ReplicaModel()
            for change in changes.changes.prefix(2) + fromThird.changes { model.apply(change) }
            #expect(try replica.canonicalExport() == model.canonicalExport)
            #expect(try replica.changes(after: VersionVector()).changes.count == 4)
            #expect(try replica.statistics().changes == 4)

            // The missing change arrives alone: it and the two kept back apply.
            let rest = try replica.apply(changes.keeping { $0.dot == gap })
            #expect(rest.applied == 3)
            #expect(rest.heldBack.isEmpty)
            #expect(try pendingCounts(replica).isEmpty)
            for change in changes.changes[2...] { model.apply(change) }
            #expect(try replica.canonicalExport() == model.canonicalExport)
            #expect(try replica.changes(after: VersionVector()) == (changes + fromThird).inDotOrder)
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
        ("occupied", .increment(by: 1_000_001)),  // beyond the largest step
    ]

    /// One invalid change makes the whole batch fail with `invalid`, and nothing of it is written,
    /// not even the valid, signed changes before it.
    @Test(arguments: 0..<invalidChanges.count)
    func anInvalidChangeRejectsTheWholeBatch(index: Int) throws {
        try withTemporaryDirectory { directory in
            let replica = try replica(in: directory)
            let leila = StoreFixtures.change(third.publicKey, 1, "given_name", .assign(value: "Leila", supersedes: []))
            _ = try replica.apply(OriginChain.signed([leila], by: third))
            let before = try ReplicaSnapshot(replica)

            let (field, operation) = Self.invalidChanges[index]
            let origin = other.publicKey
            let collection: RecordCollection = field == "occupied" ? .service : .caseFile
            let record = collection == .service ? StoreFixtures.serviceRecord : StoreFixtures.caseRecord
            let batch = OriginChain.signed(
                [
                    StoreFixtures.change(origin, 1, "given_name", .assign(value: "Amina", supersedes: [])),
                    StoreFixtures.change(origin, 2, "languages", .insert(element: "ar")),
                    StoreFixtures.change(origin, 3, field, operation, record: record, collection: collection),
                ], by: other, signedAt: [2])
            let error = #expect(throws: StoreError.self) { try replica.apply(batch) }
            #expect(error?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)
            #expect(try replica.versions()[origin] == 0)
            #expect(try pendingCounts(replica).isEmpty)

            // The valid part alone applies.
            #expect(try replica.apply(batch.keeping { $0.dot.sequence <= 2 }).applied == 2)
        }
    }

    /// A change from a node whose clock runs a year fast is merged, the origin is reported, and this
    /// node's clock does not follow it: its next change is stamped with its own wall clock.
    @Test func aChangeFromAYearAheadIsAppliedWithoutDraggingTheClock() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try replica(in: directory, clock: clock)
            let wall = clock.read()
            let origin = other.publicKey
            let ahead = Change(
                dot: Dot(origin: origin, sequence: 1),
                timestamp: HybridTimestamp(milliseconds: wall + StoreFixtures.year),
                collection: .caseFile, record: StoreFixtures.caseRecord, field: "given_name",
                operation: .assign(value: "Amina", supersedes: []))

            let report = try replica.apply(OriginChain.signed([ahead], by: other))
            #expect(report.applied == 1)
            #expect(report.originsAhead == [origin])
            #expect(try replica.versions()[origin] == 1)
            let view = try #require(try replica.view(.caseFile, StoreFixtures.caseRecord))
            #expect(view.json(schema: schema).canonical.contains(#""given_name":"Amina""#))
            #expect(try replica.statistics().origins[origin]?.latest == ahead.timestamp)

            clock.advance(by: 1_000)
            let changes = try replica.update(
                .caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("family_name=Haddad"), signer: me)
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
            let replica = try replica(in: directory, clock: clock)
            let remote = HybridTimestamp(milliseconds: clock.read() + 60_000, counter: 3)
            let change = Change(
                dot: Dot(origin: other.publicKey, sequence: 1), timestamp: remote, collection: .caseFile,
                record: StoreFixtures.caseRecord, field: "given_name",
                operation: .assign(value: "Amina", supersedes: []))
            let report = try replica.apply(OriginChain.signed([change], by: other))
            #expect(report.applied == 1)
            #expect(report.originsAhead.isEmpty)

            let written = try replica.update(
                .caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("given_name=Leila"), signer: me)
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
            let a = try StoreFixtures.replica(in: directory, "a", keys: me, clock: aClock)
            let b = try StoreFixtures.replica(in: directory, "b", keys: other)
            let c = try StoreFixtures.replica(in: directory, "c", keys: third)
            try StoreFixtures.trustEachOther([a, b, c])

            let (record, created) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            let report = try b.pull(from: a)
            #expect(report.applied == created.count)
            #expect(report.originsAhead == [a.localNode])
            let bChanges = try b.update(
                .caseFile, record, edits: StoreFixtures.edits("given_name=Yusuf"), signer: other)
            let bWrite = try #require(bChanges.first)
            let aWrite = try #require(created.first { $0.field == "given_name" })
            #expect(bWrite.timestamp < aWrite.timestamp)
            #expect(bWrite.operation == .assign(value: "Yusuf", supersedes: [aWrite.dot]))

            try a.pull(from: b)
            // B's write before A's: A's must stay overwritten when it arrives.
            #expect(try c.apply(b.changes(after: c.versions()).only(from: b.localNode)).applied == 1)
            #expect(try c.pull(from: a).applied == created.count)
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
            let a = try StoreFixtures.replica(in: directory, "a", keys: me, clock: clock)
            let b = try StoreFixtures.replica(in: directory, "b", keys: other, clock: clock)
            try StoreFixtures.trustEachOther([a, b])
            let (record, _) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            try b.pull(from: a)
            clock.advance(by: 10)
            let fromA = try a.update(.caseFile, record, edits: StoreFixtures.edits("given_name=Aminah"), signer: me)
            clock.advance(by: 10)
            let fromB = try b.update(
                .caseFile, record, edits: StoreFixtures.edits("given_name=Amina H."), signer: other)
            #expect(try a.pull(from: b).applied == fromB.count)
            #expect(try b.pull(from: a).applied == fromA.count)

            let conflicts = try a.conflicts()
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.field == "given_name")
            #expect(conflicts.first?.values.map(\.value) == ["Amina H.", "Aminah"])  // the latest shown first
            #expect(try b.conflicts() == conflicts)
            #expect(try a.statistics().conflicts == 1)

            let resolution = try a.update(
                .caseFile, record, edits: StoreFixtures.edits("given_name=Aminah"), signer: me)
            #expect(Set(resolution.first?.operation.supersedes ?? []) == Set((fromA + fromB).map(\.dot)))
            #expect(try b.pull(from: a).applied == resolution.count)
            #expect(try a.conflicts().isEmpty)
            #expect(try b.conflicts().isEmpty)
            #expect(try b.statistics().conflicts == 0)
        }
    }
}
