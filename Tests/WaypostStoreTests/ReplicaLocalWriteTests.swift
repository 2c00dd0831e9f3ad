import Foundation
import GRDB
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// `SQLiteReplica.create` and `update`: defaults, signatures, refusals that write nothing, finding
/// records by a prefix of their id, and the `cases` and `services` SQL views.
@Suite struct ReplicaLocalWriteTests {
    let schema = StoreFixtures.schema
    let me = StoreFixtures.keys(1)
    let other = StoreFixtures.keys(2)

    /// A new case file is open and a new service active unless the person creating it says otherwise.
    @Test func createAppliesTheCollectionsDefaults() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let (caseID, caseChanges) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            #expect(caseChanges.map(\.field) == ["status", "given_name"])
            #expect(caseChanges.map(\.dot.sequence) == [1, 2])
            #expect(caseChanges.allSatisfy { $0.dot.origin == replica.localNode && $0.record == caseID })
            let caseView = try #require(try replica.view(.caseFile, caseID))
            #expect(
                caseView.fields["status"]
                    == .register([
                        LiveValue(
                            dot: caseChanges[0].dot, timestamp: caseChanges[0].timestamp, value: "open")
                    ]))

            let (serviceID, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Night shelter", in: .service), signer: me)
            let serviceJSON = try #require(try replica.view(.service, serviceID)).json(schema: schema).canonical
            #expect(serviceJSON.contains(#""status":"active""#))
            #expect(serviceJSON.contains(#""name":"Night shelter""#))

            // A status given is not overwritten by the default.
            let (closedID, closedChanges) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("status=Closed", "given_name=Omar"), signer: me)
            #expect(closedChanges.count == 2)
            let closed = try #require(try replica.view(.caseFile, closedID)).json(schema: schema).canonical
            #expect(closed.contains(#""status":"closed""#))

            #expect(try replica.statistics().records == [.caseFile: 2, .service: 1])
        }
    }

    /// Creating a record whose id is taken is refused.
    /// A field given twice in one new record: the second value supersedes the first (no conflict
    /// within one write), and two adds to a set both stay.
    @Test func aFieldGivenTwiceInOneCreateKeepsTheLastValue() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let (id, _) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina", "given_name=Amira", "languages+=ar", "languages+=en"),
                signer: me)
            let view = try #require(try replica.view(.caseFile, id))
            #expect(view.conflicts.isEmpty, "\(view.conflicts)")
            let json = view.json(schema: schema).canonical
            #expect(json.contains(#""given_name":"Amira""#), "\(json)")
            #expect(json.contains(#""languages":["ar","en"]"#), "\(json)")
        }
    }

    @Test func createRefusesAnIDInUse() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let id = StoreFixtures.caseRecord
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), id: id, signer: me)
            let before = try ReplicaSnapshot(replica)
            let error = #expect(throws: StoreError.self) {
                try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), id: id, signer: me)
            }
            #expect(error?.code == .alreadyExists)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    /// Updating a record the replica does not hold is refused with `notFound`.
    @Test func updateOfAMissingRecordIsNotFound() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            let before = try ReplicaSnapshot(replica)
            let error = #expect(throws: StoreError.self) {
                try replica.update(
                    .caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("given_name=Omar"), signer: me)
            }
            #expect(error?.code == .notFound)
            // A record of the other collection with that id does not count either.
            let (serviceID, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Clinic", in: .service), signer: me)
            let wrongCollection = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, serviceID, edits: StoreFixtures.edits("given_name=Omar"), signer: me)
            }
            #expect(wrongCollection?.code == .notFound)
            #expect(try replica.versions()[replica.localNode] == before.versions[replica.localNode] + 2)
        }
    }

    /// Removing an element that is not in the set is refused, and so is every edit of the batch,
    /// even those before it that were fine on their own.
    @Test func removingAnAbsentElementWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let (id, _) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"), signer: me)
            let before = try ReplicaSnapshot(replica)

            let alone = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, id, edits: StoreFixtures.edits("languages-=fr"), signer: me)
            }
            #expect(alone?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            let batch = #expect(throws: StoreError.self) {
                try replica.update(
                    .caseFile, id,
                    edits: StoreFixtures.edits("given_name=Omar", "languages+=fr", "notes+=seen", "languages-=ps"),
                    signer: me)
            }
            #expect(batch?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            // Removing twice in one batch: the second remove sees the first and is refused.
            let twice = #expect(throws: StoreError.self) {
                try replica.update(
                    .caseFile, id, edits: StoreFixtures.edits("languages-=ar", "languages-=ar"), signer: me)
            }
            #expect(twice?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            // Adding and then removing in one batch works: the remove sees the add made just before it.
            let changes = try replica.update(
                .caseFile, id, edits: StoreFixtures.edits("languages+=fr", "languages-=fr"), signer: me)
            #expect(changes.count == 2)
            #expect(changes.last?.operation == .remove(element: "fr", supersedes: [changes[0].dot]))
            let view = try #require(try replica.view(.caseFile, id))
            #expect(view.fields["languages"] == .set(["ar"]))
        }
    }

    /// Adding an element already there is a new add, not nothing: it survives a remove made
    /// elsewhere by a node that had seen only the first add (add wins).
    @Test func addingAnElementAlreadyThereSurvivesAConcurrentRemove() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: me)
            let b = try StoreFixtures.replica(in: directory, "b", keys: other)
            try StoreFixtures.trustEachOther([a, b])
            let (id, created) = try a.create(.caseFile, edits: StoreFixtures.edits("languages+=ar"), signer: me)
            try b.pull(from: a)
            let again = try a.update(.caseFile, id, edits: StoreFixtures.edits("languages+=AR"), signer: me)
            #expect(again.map(\.operation) == [.insert(element: "ar")])
            let firstAdd = try #require(created.first { $0.field == "languages" })
            let removed = try b.update(.caseFile, id, edits: StoreFixtures.edits("languages-=ar"), signer: other)
            #expect(removed.map(\.operation) == [.remove(element: "ar", supersedes: [firstAdd.dot])])
            try a.pull(from: b)
            try b.pull(from: a)
            for replica in [a, b] {
                #expect(try replica.view(.caseFile, id)?.fields["languages"] == .set(["ar"]))
            }
            #expect(try a.canonicalExport() == b.canonicalExport())
        }
    }

    /// Every write is signed at its last change, and a long one also every
    /// ``SQLiteReplica/signatureInterval`` changes; each origin's first change to a record carries the
    /// record key. The chain recomputed from what the replica offers leads to heads its node signed.
    @Test func writesAreSignedAtTheirLastChangeAndEveryIntervalWithRecordKeysWhereRecordsBegin() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let node = replica.localNode
            let (first, created) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"), signer: me)
            #expect(created.count == 3)
            // A register, not a log: each edit reads only the one value it overwrites.
            let names = try StoreFixtures.edits((0..<1_030).map { "given_name=Amina \($0)" })
            let long = try replica.update(.caseFile, first, edits: names, signer: me)
            #expect(long.count == 1_030)
            let (second, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Clinic", in: .service), signer: me)
            _ = try replica.update(.caseFile, first, edits: StoreFixtures.edits("given_name=Aminah"), signer: me)

            // 1...3 the first record, 4...1033 the long write, 1034...1035 the service, 1036 the last write.
            let offered = try replica.changes(after: VersionVector())
            #expect(offered.changes.map(\.dot.sequence) == Array(1...1_036))
            let signed: Set<UInt64> = [3, 1_024, 1_033, 1_035, 1_036]
            #expect(Set(offered.signatures.keys.map(\.sequence)) == signed)
            let keyed: Set<UInt64> = [1, 1_034]
            #expect(Set(offered.recordKeys.keys.map(\.sequence)) == keyed)
            #expect(offered.recordKeys.values.allSatisfy { $0.count == ChangeChain.recordKeyLength })
            #expect(offered[Dot(origin: node, sequence: 1)]?.record == first)
            #expect(offered[Dot(origin: node, sequence: 1_034)]?.record == second)

            let heads = try #require(chainHeads(of: offered, origin: node))
            for (dot, signature) in offered.signatures {
                #expect(ChangeChain.isValid(signature, at: dot, head: try #require(heads[dot])), "\(dot)")
                #expect(!ChangeChain.isValid(signature, at: dot, head: ChangeChain.genesis))
            }
        }
    }

    /// Only the replica's own key may sign its writes: another key is refused and nothing is written.
    @Test func aWriteSignedWithAnotherKeyIsRefused() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: me)
            let before = try ReplicaSnapshot(replica)
            let update = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, id, edits: StoreFixtures.edits("given_name=Omar"), signer: other)
            }
            #expect(update?.code == .invalid)
            let create = #expect(throws: StoreError.self) {
                try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), signer: other)
            }
            #expect(create?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    /// `findRecord` takes the first characters of an id, in any case, with or without dashes.
    @Test func findRecordByPrefix() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: me)
            let ids = ["k7f3-m2q4-x4c2-ab5d", "k7f3-m2zz-aaaa-bbbb", "qqqq-rrrr-ssss-tttt"].map(
                RecordID.init(canonical:))
            for id in ids {
                _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=A"), id: id, signer: me)
            }
            let (service, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Clinic", in: .service),
                id: RecordID(canonical: "wwww-xxxx-yyyy-zzzz"), signer: me)

            #expect(try replica.findRecord(.caseFile, prefix: "k7f3-m2q") == ids[0])
            #expect(try replica.findRecord(.caseFile, prefix: "K7F3M2Z") == ids[1])
            #expect(try replica.findRecord(.caseFile, prefix: "q") == ids[2])
            #expect(try replica.findRecord(.caseFile, prefix: ids[0].text) == ids[0])
            #expect(try replica.findRecord(.service, prefix: "wwww") == service)

            let ambiguous = #expect(throws: StoreError.self) { try replica.findRecord(.caseFile, prefix: "k7f3") }
            #expect(ambiguous?.code == .ambiguous)
            #expect(ambiguous?.message.contains(ids[0].text) == true)
            #expect(ambiguous?.message.contains(ids[1].text) == true)

            let none = #expect(throws: StoreError.self) { try replica.findRecord(.caseFile, prefix: "zzzz") }
            #expect(none?.code == .notFound)
            // The service's id is not a case file's.
            let otherCollection = #expect(throws: StoreError.self) { try replica.findRecord(.caseFile, prefix: "wwww") }
            #expect(otherCollection?.code == .notFound)
            // LIKE wildcards are not ids.
            for prefix in ["%", "k7f3_", ""] {
                let invalid = #expect(throws: StoreError.self) { try replica.findRecord(.caseFile, prefix: prefix) }
                #expect(invalid?.code == .invalid)
            }
        }
    }

    /// The `cases` view shows each field's shown value, sets as JSON arrays, and the number of
    /// conflicted fields once a concurrent write is merged; a separate read-only connection sees it.
    @Test func casesViewShowsShownValuesAndConflicts() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let a = try StoreFixtures.replica(in: directory, "a", keys: me, clock: clock)
            let b = try StoreFixtures.replica(in: directory, "b", keys: other, clock: clock)
            try StoreFixtures.trustEachOther([a, b])
            let (id, created) = try a.create(
                .caseFile,
                edits: StoreFixtures.edits("given_name=Amina", "languages+=fr", "languages+=AR", "dob_estimated=yes"),
                signer: me)
            #expect(try b.pull(from: a).applied == created.count)

            struct CaseRow: Equatable, Sendable {
                let givenName: String?, languages: String?, conflicts: Int64, estimated: Int64?, status: String?
            }
            @Sendable func row(_ db: Database) throws -> CaseRow? {
                try Row.fetchOne(
                    db, sql: "SELECT given_name, languages, conflicts, dob_estimated, status FROM cases WHERE id = ?",
                    arguments: [id.text]
                ).map { CaseRow(givenName: $0[0], languages: $0[1], conflicts: $0[2], estimated: $0[3], status: $0[4]) }
            }
            #expect(
                try readOnly(a, row)
                    == CaseRow(
                        givenName: "Amina", languages: #"["ar","fr"]"#, conflicts: 0, estimated: 1, status: "open"))

            clock.advance(by: 100)
            let fromA = try a.update(.caseFile, id, edits: StoreFixtures.edits("given_name=Aminah"), signer: me)
            clock.advance(by: 100)
            let fromB = try b.update(
                .caseFile, id, edits: StoreFixtures.edits("given_name=Amina H.", "languages-=fr"), signer: other)
            #expect(try readOnly(a, row)?.givenName == "Aminah")
            #expect(try a.pull(from: b).applied == fromB.count)
            #expect(try b.pull(from: a).applied == fromA.count)

            let merged = CaseRow(
                givenName: "Amina H.", languages: #"["ar"]"#, conflicts: 1, estimated: 1, status: "open")
            #expect(try readOnly(a, row) == merged)
            #expect(try readOnly(b, row) == merged)
            #expect(
                try readOnly(a) { db in try String.fetchOne(db, sql: "SELECT typeof(languages) FROM cases") }
                    == "text")
            // The read-only connection cannot write.
            #expect(throws: DatabaseError.self) {
                try readOnly(a) { db in try db.execute(sql: "DELETE FROM changes") }
            }
        }
    }

    /// The `services` view gives `capacity_total` as an integer and `occupied` as the sum of every
    /// increment and decrement, from every node.
    @Test func servicesViewTypesValuesAndSumsCounters() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", keys: me)
            let b = try StoreFixtures.replica(in: directory, "b", keys: other)
            try StoreFixtures.trustEachOther([a, b])
            let (id, created) = try a.create(
                .service,
                edits: StoreFixtures.edits(
                    "name=Night shelter", "capacity_total=040", "latitude=-12.3400", in: .service), signer: me)
            #expect(try b.pull(from: a).applied == created.count)
            let fromA = try a.update(
                .service, id, edits: StoreFixtures.edits("occupied+=5", "occupied+=3", in: .service), signer: me)
            let fromB = try b.update(
                .service, id, edits: StoreFixtures.edits("occupied-=2", "occupied+=10", in: .service), signer: other)
            #expect(try a.pull(from: b).applied == fromB.count)
            #expect(try b.pull(from: a).applied == fromA.count)

            struct ServiceRow: Equatable, Sendable {
                let capacity: Int64?, capacityType: String, occupied: Int64?, occupiedType: String
                let latitude: Double?, latitudeType: String, status: String?, conflicts: Int64
            }
            let expected = ServiceRow(
                capacity: 40, capacityType: "integer", occupied: 16, occupiedType: "integer", latitude: -12.34,
                latitudeType: "real", status: "active", conflicts: 0)
            for replica in [a, b] {
                let row = try readOnly(replica) { db in
                    try Row.fetchOne(
                        db,
                        sql: """
                            SELECT capacity_total, typeof(capacity_total), occupied, typeof(occupied),
                                   latitude, typeof(latitude), status, conflicts
                            FROM services WHERE id = ?
                            """, arguments: [id.text]
                    ).map { row in
                        ServiceRow(
                            capacity: row[0], capacityType: row[1], occupied: row[2], occupiedType: row[3],
                            latitude: row[4], latitudeType: row[5], status: row[6], conflicts: row[7])
                    }
                }
                #expect(row == expected)
            }
        }
    }
}
