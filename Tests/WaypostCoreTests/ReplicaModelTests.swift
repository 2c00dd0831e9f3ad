import Testing

@testable import WaypostCore

/// Hand-built scenarios for each merge rule, played by nodes that make changes as real ones do.
@Suite struct ReplicaModelTests {
    let t0 = Fixtures.baseMilliseconds
    let one = Fixtures.node(1)
    let two = Fixtures.node(2)
    let three = Fixtures.node(3)

    // MARK: Registers

    @Test func concurrentRegisterWritesAreBothKeptWithTheLatestShownEverywhere() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        var c = TestNode(three)
        let early = try #require(try a.edit("given_name=Amina", at: t0 + 1_000))
        let late = try #require(try b.edit("given_name=Yusuf", at: t0 + 2_000))
        a.receive([late])
        b.receive([early])
        c.receive([late, early])

        for node in [a, b, c] {
            let view = node.view()
            #expect(view.fields["given_name"] == .register([late.liveValue!, early.liveValue!]))
            let conflicts = view.conflicts
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.field == "given_name")
            #expect(conflicts.first?.values.map(\.value) == ["Yusuf", "Amina"])
            let json = view.json(schema: Fixtures.schema)
            guard case .object(let top) = json, case .object(let fields) = top["fields"],
                case .object(let conflictsJSON) = top["conflicts"],
                case .array(let versions) = conflictsJSON["given_name"]
            else {
                Issue.record("unexpected JSON shape: \(json.canonical)")
                return
            }
            #expect(fields["given_name"] == .string("Yusuf"))
            #expect(versions == [RecordView.versionJSON(late.liveValue!), RecordView.versionJSON(early.liveValue!)])
        }
        #expect(a.model.canonicalExport == c.model.canonicalExport)
        #expect(b.model.canonicalExport == c.model.canonicalExport)
    }

    @Test func concurrentWritesAtTheSameTimestampShowTheLargerDot() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        let fromOne = try #require(try a.edit("status=closed", at: t0))
        let fromTwo = try #require(try b.edit("status=transferred", at: t0))
        #expect(fromOne.timestamp == fromTwo.timestamp)
        a.receive([fromTwo])
        b.receive([fromOne])
        for node in [a, b] {
            #expect(node.view().fields["status"] == .register([fromTwo.liveValue!, fromOne.liveValue!]))
            #expect(node.view().conflicts.map(\.field) == ["status"])
        }
    }

    @Test func aWriteThatSawBothConcurrentValuesResolvesTheConflict() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        var c = TestNode(three)
        var d = TestNode(Fixtures.node(4))
        let amina = try #require(try a.edit("given_name=Amina", at: t0 + 1_000))
        let yusuf = try #require(try b.edit("given_name=Yusuf", at: t0 + 2_000))
        c.receive([amina, yusuf])
        let resolution = try #require(try c.edit("given_name=Amina Yusuf", at: t0 + 3_000))
        #expect(resolution.operation.supersedes == [amina.dot, yusuf.dot].sorted())

        // D hears the resolution before either value it resolves: they must not come back.
        d.receive([resolution, yusuf, amina])
        a.receive([resolution, yusuf])
        b.receive([amina, resolution])
        for node in [a, b, c, d] {
            #expect(node.live("given_name") == [resolution.liveValue!])
            #expect(node.view().conflicts.isEmpty)
            #expect(FieldValue.shown(node.live("given_name")) == "Amina Yusuf")
            #expect(node.model.canonicalExport == d.model.canonicalExport)
        }
    }

    @Test func aLaterWriteOverwritesAFutureTimestampItHadSeen() throws {
        let year: Int64 = 365 * 24 * 3_600_000
        var fast = TestNode(one, skew: year)
        var b = TestNode(two)
        var c = TestNode(three)
        let future = try #require(try fast.edit("location=Camp 4", at: t0))

        b.receive(future, at: t0)
        #expect(b.clock.latest < future.timestamp, "a timestamp a year ahead must not drag the clock along")
        let correction = try #require(try b.edit("location=Camp 7", at: t0 + 60_000))
        #expect(correction.timestamp < future.timestamp)
        #expect(correction.operation.supersedes == [future.dot])

        c.receive([correction, future])
        fast.receive([correction])
        for node in [fast, b, c] {
            #expect(node.live("location") == [correction.liveValue!])
            #expect(node.view().conflicts.isEmpty)
        }

        // A write that had not seen the fast node's value is concurrent with it: both stay, and the
        // larger timestamp is shown first.
        var d = TestNode(Fixtures.node(4))
        let unaware = try #require(try d.edit("location=Camp 9", at: t0 + 120_000))
        d.receive([future])
        #expect(d.view().fields["location"] == .register([future.liveValue!, unaware.liveValue!]))
    }

    @Test func clearingARegisterShowsNothingButStillOverwrites() throws {
        var a = TestNode(one)
        let named = try #require(try a.edit("given_name=Amina", at: t0))
        let cleared = try #require(try a.edit("given_name=", at: t0 + 1))
        #expect(cleared.operation == .assign(value: "", supersedes: [named.dot]))
        #expect(a.live("given_name") == [cleared.liveValue!])
        #expect(FieldValue.shown(a.live("given_name")) == nil)
    }

    // MARK: Sets

    @Test func anAddConcurrentWithARemoveOfTheSameElementSurvives() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        var c = TestNode(three)
        let first = try #require(try a.edit("languages+=ar", at: t0))
        try a.edit("languages+=fr", at: t0 + 1)
        b.sync(from: a)
        let remove = try #require(try b.edit("languages-=ar", at: t0 + 2))
        #expect(remove.operation == .remove(element: "ar", supersedes: [first.dot]))
        let concurrentAdd = try #require(try c.edit("languages+=AR", at: t0 + 3))
        #expect(concurrentAdd.operation == .insert(element: "ar"))

        for _ in 0..<2 {
            a.sync(from: b)
            a.sync(from: c)
            b.sync(from: a)
            c.sync(from: a)
        }
        for node in [a, b, c] {
            #expect(node.view().fields["languages"] == .set(["ar", "fr"]))
            #expect(node.live("languages").filter { $0.value == "ar" }.map(\.dot) == [concurrentAdd.dot])
        }

        // A remove made after seeing every add of the element takes it away everywhere.
        let removeAll = try #require(try c.edit("languages-=ar", at: t0 + 4))
        #expect(removeAll.operation.supersedes == [concurrentAdd.dot])
        a.receive([removeAll])
        b.receive([removeAll])
        for node in [a, b, c] { #expect(node.view().fields["languages"] == .set(["fr"])) }
    }

    @Test func addingAnElementAlreadyPresentIsANewAddAndRemovingAnAbsentOneFails() throws {
        var a = TestNode(one)
        let first = try #require(try a.edit("languages+=ar", at: t0))
        // A repeated add is a new add: it survives a concurrent remove elsewhere that saw only the first.
        let again = try #require(try a.edit("languages+=AR", at: t0 + 1))
        #expect(again.operation == .insert(element: "ar"))
        #expect(Set(a.live("languages").map(\.dot)) == [first.dot, again.dot])
        let error = #expect(throws: CoreError.self) { try a.edit("languages-=ps", at: t0 + 2) }
        #expect(error?.code == .invalidValue)
        #expect(a.model.versions[one] == 2)
    }

    @Test func removingAnElementTakesOnlyThatElementsAdds() throws {
        var a = TestNode(one)
        let arabic = try #require(try a.edit("languages+=ar", at: t0))
        let french = try #require(try a.edit("languages+=fr", at: t0 + 1))
        let remove = try #require(try a.edit("languages-=fr", at: t0 + 2))
        #expect(remove.operation.supersedes == [french.dot])
        #expect(a.live("languages") == [arabic.liveValue!])
    }

    // MARK: Counters and logs

    @Test func aCounterSumsIncrementsAndDecrementsFromEveryNode() throws {
        var nodes = [TestNode(one), TestNode(two), TestNode(three)]
        var made: [Change] = []
        for (index, edit) in [
            (0, "occupied+=5"), (1, "occupied-=2"), (2, "occupied+=3"), (0, "occupied-=1"), (1, "occupied+=4"),
        ] {
            made.append(try #require(try nodes[index].edit(edit, .service, Fixtures.serviceRecord, at: t0)))
        }
        for index in nodes.indices { nodes[index].receive(made) }
        for node in nodes {
            #expect(node.view(.service, Fixtures.serviceRecord).fields["occupied"] == .counter(9))
            let json = node.view(.service, Fixtures.serviceRecord).json(schema: Fixtures.schema).canonical
            #expect(json.contains(#""occupied":9"#))
            #expect(node.live("occupied", .service, Fixtures.serviceRecord).count == 5)
        }
    }

    @Test func logEntriesFromEveryNodeAreKeptInTimestampOrder() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        var c = TestNode(three)
        let fromA = try #require(try a.edit("notes+=seen at the clinic", at: t0 + 3_000))
        let fromB = try #require(try b.edit("notes+=called the family", at: t0 + 1_000))
        let fromC = try #require(try c.edit("notes+=referred to legal aid", at: t0 + 2_000))
        let laterFromB = try #require(try b.edit("notes+=follow-up booked", at: t0 + 4_000))
        a.receive([fromB, laterFromB, fromC])
        b.receive([fromC, fromA])
        c.receive([fromA, fromB, laterFromB])
        for node in [a, b, c] {
            guard case .log(let entries) = node.view().fields["notes"] else {
                Issue.record("notes is not a log")
                continue
            }
            #expect(
                entries.map(\.value) == [
                    "called the family", "referred to legal aid", "seen at the clinic", "follow-up booked",
                ])
        }
        #expect(a.model.canonicalExport == b.model.canonicalExport)
        #expect(b.model.canonicalExport == c.model.canonicalExport)
    }

    // MARK: Entries

    @Test func differentFieldsOfOneEntryMergeWithoutConflict() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        let key = Fixtures.memberKey.text
        let name = try #require(try a.edit("household.\(key).given_name=Sara", at: t0))
        let relationship = try #require(try b.edit("household.\(key).relationship=Spouse", at: t0))
        a.receive([relationship])
        b.receive([name])
        for node in [a, b] {
            let view = node.view()
            #expect(view.conflicts.isEmpty)
            #expect(
                view.fields["household"]
                    == .entries([
                        Fixtures.memberKey: [
                            "given_name": [name.liveValue!], "relationship": [relationship.liveValue!],
                        ]
                    ]))
        }
    }

    @Test func theSameFieldOfOneEntryWrittenConcurrentlyIsAConflict() throws {
        var a = TestNode(one)
        var b = TestNode(two)
        let key = Fixtures.memberKey.text
        let sara = try #require(try a.edit("household.\(key).given_name=Sara", at: t0))
        let sarah = try #require(try b.edit("household.\(key).given_name=Sarah", at: t0 + 5))
        // Another entry's field is untouched by either.
        let other = try #require(try a.edit("household.\(Fixtures.otherMemberKey.text).given_name=Ali", at: t0 + 10))
        a.receive([sarah])
        b.receive([sara, other])
        for node in [a, b] {
            let conflicts = node.view().conflicts
            #expect(conflicts.map(\.field) == ["household.\(key).given_name"])
            #expect(conflicts.first?.values == [sarah.liveValue!, sara.liveValue!])
        }
    }

    // MARK: Addresses

    @Test func aChangeCannotSupersedeAValueAtAnotherAddress() {
        let name = Fixtures.change(one, 1, at: 0, "given_name", .assign(value: "Amina", supersedes: []))
        let family = Fixtures.change(one, 2, at: 1, "family_name", .assign(value: "Haddad", supersedes: []))
        let elsewhere = Fixtures.change(
            one, 3, at: 2, "given_name", .assign(value: "Omar", supersedes: []), record: Fixtures.otherCaseRecord)
        // A forged change at given_name that claims to overwrite values at other addresses.
        let forged = Fixtures.change(
            two, 1, at: 3, "given_name", .assign(value: "Yusuf", supersedes: [family.dot, elsewhere.dot]))

        for order in [[name, family, elsewhere, forged], [forged, name, family, elsewhere]] {
            var model = ReplicaModel()
            for change in order { model.apply(change) }
            #expect(model.liveValues(at: family.address) == [family.liveValue!])
            #expect(model.liveValues(at: elsewhere.address) == [elsewhere.liveValue!])
            #expect(Set(model.liveValues(at: name.address)) == [name.liveValue!, forged.liveValue!])
        }
    }

    @Test func theSameFieldNameInAnotherCollectionIsAnotherAddress() {
        let record = Fixtures.caseRecord
        let caseStatus = Fixtures.change(one, 1, at: 0, "status", .assign(value: "open", supersedes: []))
        let serviceStatus = Fixtures.change(
            two, 1, at: 1, "status", .assign(value: "active", supersedes: [caseStatus.dot]), record: record,
            collection: .service)
        var model = ReplicaModel()
        model.apply(serviceStatus)
        model.apply(caseStatus)
        #expect(model.liveValues(at: caseStatus.address) == [caseStatus.liveValue!])
        #expect(model.records.map(\.collection) == [.caseFile, .service])
    }

    // MARK: Applying and exchanging

    @Test func changesOfOneOriginApplyInSequenceOnlyOnce() {
        let first = Fixtures.change(one, 1, at: 0, "notes", .append(entry: "first"))
        let second = Fixtures.change(one, 2, at: 1, "notes", .append(entry: "second"))
        let third = Fixtures.change(one, 3, at: 2, "notes", .append(entry: "third"))
        var model = ReplicaModel()
        #expect(model.apply(second) == .missingPredecessor(expected: 1))
        #expect(model.apply(first) == .applied)
        #expect(model.apply(third) == .missingPredecessor(expected: 2))
        #expect(model.apply(first) == .duplicate)
        #expect(model.apply(second) == .applied)
        #expect(model.apply(third) == .applied)
        #expect(model.apply(second) == .duplicate)
        #expect(model.versions == VersionVector([one: 3]))
        #expect(model.liveValues(at: first.address).count == 3)
    }

    @Test func aRefusedChangeLeavesTheReplicaUntouched() {
        let gap = Fixtures.change(one, 2, at: 0, "given_name", .assign(value: "Amina", supersedes: []))
        var model = ReplicaModel()
        let before = model.canonicalExport
        #expect(model.apply(gap) == .missingPredecessor(expected: 1))
        #expect(model.canonicalExport == before)
        #expect(model.changes.isEmpty)
        #expect(model.records.isEmpty)
    }

    @Test func changesAfterAVersionVectorAreWhatItsHolderLacksInSequenceOrder() {
        var model = ReplicaModel()
        for sequence in 1...3 as ClosedRange<UInt64> {
            model.apply(Fixtures.change(two, sequence, at: sequence, "notes", .append(entry: "b\(sequence)")))
            model.apply(Fixtures.change(one, sequence, at: sequence, "notes", .append(entry: "a\(sequence)")))
        }
        let missing = model.changes(after: VersionVector([one: 1, two: 3]))
        #expect(missing.map(\.dot) == [Dot(origin: one, sequence: 2), Dot(origin: one, sequence: 3)])
        #expect(model.changes(after: model.versions).isEmpty)
        #expect(model.changes(after: VersionVector()).count == 6)
    }

    @Test func anEmptyReplicaExportsAnEmptyDocument() {
        #expect(ReplicaModel().canonicalExport == #"{"records":{},"versions":{}}"#)
    }

    @Test func theExportListsLiveValuesByDotAndTheVersions() {
        var model = ReplicaModel()
        model.apply(Fixtures.change(two, 1, at: 5, "languages", .insert(element: "fr")))
        model.apply(Fixtures.change(one, 1, at: 9, "languages", .insert(element: "ar")))
        let ts = { (ms: UInt64) in Fixtures.time(ms).rawValue }
        let expected =
            #"{"records":{"case/aaaa-bbbb-cccc-dddd":{"languages":"#
            + #"[["\#(one)",1,\#(ts(9)),"ar"],["\#(two)",1,\#(ts(5)),"fr"]]}},"#
            + #""versions":{"\#(one)":1,"\#(two)":1}}"#
        #expect(model.canonicalExport == expected)
    }
}
