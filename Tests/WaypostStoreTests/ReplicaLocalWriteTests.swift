import Foundation
import GRDB
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// `SQLiteReplica.create` and `update`: defaults, refusals that write nothing, finding records by a
/// prefix of their id, and the `cases` and `services` SQL views.
@Suite struct ReplicaLocalWriteTests {
    let schema = StoreFixtures.schema

    /// A new case file is open and a new service active unless the person creating it says otherwise.
    @Test func createAppliesTheCollectionsDefaults() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let (caseID, caseChanges) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            #expect(caseChanges.map(\.field) == ["status", "given_name"])
            #expect(caseChanges.map(\.dot.sequence) == [1, 2])
            #expect(caseChanges.allSatisfy { $0.dot.origin == replica.localNode && $0.record == caseID })
            let caseView = try #require(try replica.view(.caseFile, caseID))
            #expect(caseView.fields["status"] == .register([LiveValue(
                dot: caseChanges[0].dot, timestamp: caseChanges[0].timestamp, value: "open")]))

            let (serviceID, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Night shelter", in: .service))
            let serviceJSON = try #require(try replica.view(.service, serviceID)).json(schema: schema).canonical
            #expect(serviceJSON.contains(#""status":"active""#))
            #expect(serviceJSON.contains(#""name":"Night shelter""#))

            // A status given is not overwritten by the default.
            let (closedID, closedChanges) = try replica.create(
                .caseFile, edits: StoreFixtures.edits("status=Closed", "given_name=Omar"))
            #expect(closedChanges.count == 2)
            let closed = try #require(try replica.view(.caseFile, closedID)).json(schema: schema).canonical
            #expect(closed.contains(#""status":"closed""#))

            #expect(try replica.statistics().records == [.caseFile: 2, .service: 1])
        }
    }

    /// Creating a record whose id is taken is refused.
    @Test func createRefusesAnIDInUse() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let id = StoreFixtures.caseRecord
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), id: id)
            let before = try ReplicaSnapshot(replica)
            let error = #expect(throws: StoreError.self) {
                try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Omar"), id: id)
            }
            #expect(error?.code == .alreadyExists)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    /// Updating a record the replica does not hold is refused with `notFound`.
    @Test func updateOfAMissingRecordIsNotFound() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"))
            let before = try ReplicaSnapshot(replica)
            let error = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, StoreFixtures.caseRecord, edits: StoreFixtures.edits("given_name=Omar"))
            }
            #expect(error?.code == .notFound)
            // A record of the other collection with that id does not count either.
            let (serviceID, _) = try replica.create(.service, edits: StoreFixtures.edits("name=Clinic", in: .service))
            let wrongCollection = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, serviceID, edits: StoreFixtures.edits("given_name=Omar"))
            }
            #expect(wrongCollection?.code == .notFound)
            #expect(try replica.versions()[replica.localNode] == before.versions[replica.localNode] + 2)
        }
    }

    /// Removing an element that is not in the set is refused, and so is every edit of the batch,
    /// even those before it that were fine on their own.
    @Test func removingAnAbsentElementWritesNothing() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"))
            let before = try ReplicaSnapshot(replica)

            let alone = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, id, edits: StoreFixtures.edits("languages-=fr"))
            }
            #expect(alone?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            let batch = #expect(throws: StoreError.self) {
                try replica.update(
                    .caseFile, id,
                    edits: StoreFixtures.edits("given_name=Omar", "languages+=fr", "notes+=seen", "languages-=ps"))
            }
            #expect(batch?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            // Removing twice in one batch: the second remove sees the first and is refused.
            let twice = #expect(throws: StoreError.self) {
                try replica.update(.caseFile, id, edits: StoreFixtures.edits("languages-=ar", "languages-=ar"))
            }
            #expect(twice?.code == .invalid)
            #expect(try ReplicaSnapshot(replica) == before)

            // Adding and then removing in one batch works: the remove sees the add made just before it.
            let changes = try replica.update(.caseFile, id, edits: StoreFixtures.edits("languages+=fr", "languages-=fr"))
            #expect(changes.count == 2)
            #expect(changes.last?.operation == .remove(element: "fr", supersedes: [changes[0].dot]))
            let view = try #require(try replica.view(.caseFile, id))
            #expect(view.fields["languages"] == .set(["ar"]))
        }
    }

    /// Edits that change nothing (adding an element already there) make no change.
    @Test func anEditThatChangesNothingMakesNoChange() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let (id, _) = try replica.create(.caseFile, edits: StoreFixtures.edits("languages+=ar"))
            let before = try ReplicaSnapshot(replica)
            #expect(try replica.update(.caseFile, id, edits: StoreFixtures.edits("languages+=AR")).isEmpty)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    /// `findRecord` takes the first characters of an id, in any case, with or without dashes.
    @Test func findRecordByPrefix() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory)
            let ids = ["k7f3-m2q4-x4c2-ab5d", "k7f3-m2zz-aaaa-bbbb", "qqqq-rrrr-ssss-tttt"].map(RecordID.init(canonical:))
            for id in ids { _ = try replica.create(.caseFile, edits: StoreFixtures.edits("given_name=A"), id: id) }
            let (service, _) = try replica.create(
                .service, edits: StoreFixtures.edits("name=Clinic", in: .service),
                id: RecordID(canonical: "wwww-xxxx-yyyy-zzzz"))

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
            let a = try StoreFixtures.replica(in: directory, "a", node: StoreFixtures.node(1), clock: clock)
            let b = try StoreFixtures.replica(in: directory, "b", node: StoreFixtures.node(2), clock: clock)
            let (id, created) = try a.create(
                .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=fr", "languages+=AR", "dob_estimated=yes"))
            _ = try b.apply(created)
            let path = directory.replicaPath("a")

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
                try readOnly(path, row)
                    == CaseRow(givenName: "Amina", languages: #"["ar","fr"]"#, conflicts: 0, estimated: 1, status: "open"))

            clock.advance(by: 100)
            let fromA = try a.update(.caseFile, id, edits: StoreFixtures.edits("given_name=Aminah"))
            clock.advance(by: 100)
            let fromB = try b.update(.caseFile, id, edits: StoreFixtures.edits("given_name=Amina H.", "languages-=fr"))
            #expect(try readOnly(path, row)?.givenName == "Aminah")
            _ = try a.apply(fromB)
            _ = try b.apply(fromA)

            let merged = CaseRow(givenName: "Amina H.", languages: #"["ar"]"#, conflicts: 1, estimated: 1, status: "open")
            #expect(try readOnly(path, row) == merged)
            #expect(try readOnly(directory.replicaPath("b"), row) == merged)
            #expect(
                try readOnly(path) { db in try String.fetchOne(db, sql: "SELECT typeof(languages) FROM cases") } == "text")
            // The read-only connection cannot write.
            #expect(throws: DatabaseError.self) {
                try readOnly(path) { db in try db.execute(sql: "DELETE FROM changes") }
            }
        }
    }

    /// The `services` view gives `capacity_total` as an integer and `occupied` as the sum of every
    /// increment and decrement, from every node.
    @Test func servicesViewTypesValuesAndSumsCounters() throws {
        try withTemporaryDirectory { directory in
            let a = try StoreFixtures.replica(in: directory, "a", node: StoreFixtures.node(1))
            let b = try StoreFixtures.replica(in: directory, "b", node: StoreFixtures.node(2))
            let (id, created) = try a.create(
                .service,
                edits: StoreFixtures.edits("name=Night shelter", "capacity_total=040", "latitude=-12.3400", in: .service))
            _ = try b.apply(created)
            let fromA = try a.update(.service, id, edits: StoreFixtures.edits("occupied+=5", "occupied+=3", in: .service))
            let fromB = try b.update(.service, id, edits: StoreFixtures.edits("occupied-=2", "occupied+=10", in: .service))
            _ = try a.apply(fromB)
            _ = try b.apply(fromA)

            struct ServiceRow: Equatable, Sendable {
                let capacity: Int64?, capacityType: String, occupied: Int64?, occupiedType: String
                let latitude: Double?, latitudeType: String, status: String?, conflicts: Int64
            }
            let expected = ServiceRow(
                capacity: 40, capacityType: "integer", occupied: 16, occupiedType: "integer", latitude: -12.34,
                latitudeType: "real", status: "active", conflicts: 0)
            for name in ["a", "b"] {
                let row = try readOnly(directory.replicaPath(name)) { db in
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
