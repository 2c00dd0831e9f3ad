import Testing

@testable import WaypostCore

@Suite struct RecordViewTests {
    let one = Fixtures.node(1)
    let two = Fixtures.node(2)

    func model(_ changes: [Change]) -> ReplicaModel {
        var model = ReplicaModel()
        for change in changes { #expect(model.apply(change) == .applied) }
        return model
    }

    func caseView(_ changes: [Change]) -> RecordView {
        model(changes).view(.caseFile, Fixtures.caseRecord, schema: Fixtures.schema)
    }

    @Test func aCaseFilePrintsTypedValues() throws {
        let consent = try Schema.structuredEntry(
            for: Fixtures.cases.field(named: "consent"),
            parts: ["purpose": "referral", "given": "yes", "recorded_by": "Ana \"the\" worker"])
        let view = caseView([
            Fixtures.change(one, 1, at: 0, "status", .assign(value: "open", supersedes: [])),
            Fixtures.change(one, 2, at: 1, "dob_estimated", .assign(value: "true", supersedes: [])),
            Fixtures.change(one, 3, at: 2, "languages", .insert(element: "fr")),
            Fixtures.change(one, 4, at: 3, "languages", .insert(element: "ar")),
            Fixtures.change(one, 5, at: 4, "household.amina222.given_name", .assign(value: "Sara", supersedes: [])),
            Fixtures.change(one, 6, at: 5, "household.amina222.sex", .assign(value: "", supersedes: [])),
            Fixtures.change(one, 7, at: 6, "notes", .append(entry: "seen\nat the clinic")),
            Fixtures.change(one, 8, at: 7, "consent", .append(entry: consent)),
            Fixtures.change(one, 9, at: 8, "given_name", .assign(value: "", supersedes: [])),
        ])
        let origin = one.description
        let expected =
            #"{"collection":"case","conflicts":{},"fields":{"consent":[{"at":"2026-06-01T00:00:00.007Z","#
            + #""given":true,"origin":"\#(origin)","purpose":"referral","recorded_by":"Ana \"the\" worker"}],"#
            + #""dob_estimated":true,"given_name":null,"household":{"amina222":{"given_name":"Sara","sex":null}},"#
            + #""languages":["ar","fr"],"notes":[{"at":"2026-06-01T00:00:00.006Z","origin":"\#(origin)","#
            + #""text":"seen\nat the clinic"}],"status":"open"},"id":"aaaa-bbbb-cccc-dddd"}"#
        #expect(view.json(schema: Fixtures.schema).canonical == expected)
    }

    @Test func aServicePrintsNumbersAndHidesPrivateFieldsWhenAsked() {
        let record = Fixtures.serviceRecord
        let changes = [
            Fixtures.change(
                one, 1, at: 0, "latitude", .assign(value: "-12.34", supersedes: []), record: record,
                collection: .service),
            Fixtures.change(
                one, 2, at: 1, "capacity_total", .assign(value: "40", supersedes: []), record: record,
                collection: .service),
            Fixtures.change(one, 3, at: 2, "occupied", .increment(by: 7), record: record, collection: .service),
            Fixtures.change(
                one, 4, at: 3, "referral_contact", .assign(value: "Ana", supersedes: []), record: record,
                collection: .service),
            Fixtures.change(
                two, 1, at: 4, "referral_contact", .assign(value: "Bo", supersedes: []), record: record,
                collection: .service),
        ]
        let view = model(changes).view(.service, record, schema: Fixtures.schema)
        let everything = view.json(schema: Fixtures.schema).canonical
        #expect(everything.contains(#""latitude":-12.34"#))
        #expect(everything.contains(#""capacity_total":40"#))
        #expect(everything.contains(#""occupied":7"#))
        #expect(everything.contains(#""referral_contact":"Bo""#))
        #expect(everything.contains(#""conflicts":{"referral_contact":[{"at""#))

        let publicOnly = view.json(schema: Fixtures.schema, includePrivate: false).canonical
        #expect(!publicOnly.contains("referral_contact"))
        #expect(!publicOnly.contains("Ana"))
        #expect(publicOnly.contains(#""conflicts":{}"#))
        #expect(publicOnly.contains(#""occupied":7"#))
    }

    @Test func conflictsAreListedByFieldPathWithTheShownValueFirst() {
        let view = caseView([
            Fixtures.change(one, 1, at: 0, "status", .assign(value: "open", supersedes: [])),
            Fixtures.change(two, 1, at: 0, "status", .assign(value: "closed", supersedes: [])),
            Fixtures.change(one, 2, at: 9, "household.yusuf333.sex", .assign(value: "male", supersedes: [])),
            Fixtures.change(two, 2, at: 3, "household.yusuf333.sex", .assign(value: "unknown", supersedes: [])),
            Fixtures.change(one, 3, at: 1, "household.amina222.given_name", .assign(value: "Sara", supersedes: [])),
            Fixtures.change(two, 3, at: 2, "household.amina222.given_name", .assign(value: "Sarah", supersedes: [])),
            Fixtures.change(one, 4, at: 1, "given_name", .assign(value: "Amina", supersedes: [])),
        ])
        let conflicts = view.conflicts
        #expect(conflicts.map(\.field) == ["household.amina222.given_name", "household.yusuf333.sex", "status"])
        #expect(
            conflicts.map { $0.values.map(\.value) } == [["Sarah", "Sara"], ["male", "unknown"], ["closed", "open"]])
    }

    @Test func theConflictJSONGivesEachValuesOriginSequenceAndTime() {
        let value = LiveValue(dot: Dot(origin: one, sequence: 3), timestamp: Fixtures.time(1_500), value: "")
        #expect(
            RecordView.versionJSON(value).canonical
                == #"{"at":"2026-06-01T00:00:01.500Z","origin":"\#(one)","sequence":3,"value":null}"#)
    }

    @Test func pathsTheSchemaDoesNotKnowAreIgnored() {
        let known = LiveValue(dot: Dot(origin: one, sequence: 1), timestamp: Fixtures.time(0), value: "Amina")
        let unknown = LiveValue(dot: Dot(origin: one, sequence: 2), timestamp: Fixtures.time(0), value: "x")
        let view = RecordView(
            collection: .caseFile, id: Fixtures.caseRecord,
            live: [
                "given_name": [known], "nickname": [unknown], "household.amina222.nickname": [unknown], "notes": [],
            ],
            schema: Fixtures.schema)
        #expect(view.fields == ["given_name": .register([known])])
    }

    @Test func canonicallyEquivalentSpellingsOfASetElementShowTheSameBytesEverywhere() {
        // "José" typed with a precomposed é on one device and e + U+0301 on another: String's == calls
        // them equal, so the set shows one of them, and every replica must show the same one.
        let composed = Fixtures.change(one, 1, at: 0, "assigned", .insert(element: "Jos\u{E9}"))
        let decomposed = Fixtures.change(two, 1, at: 0, "assigned", .insert(element: "Jose\u{301}"))
        var replicas: [ReplicaModel] = []  // kept alive so that each has its own hash table seed
        for index in 0..<40 {
            replicas.append(model(index.isMultiple(of: 2) ? [composed, decomposed] : [decomposed, composed]))
        }
        let texts = Set(
            replicas.map {
                Array($0.jsonText(FieldAddress.RecordKey(collection: .caseFile, record: Fixtures.caseRecord)).utf8)
            })
        #expect(texts.count == 1)
        #expect(texts.first.map { String(decoding: $0, as: UTF8.self).unicodeScalars.contains("\u{E9}") } == true)
    }

    @Test func typedValuesFollowTheFieldType() {
        #expect(RecordView.typed("true", .boolean) == .bool(true))
        #expect(RecordView.typed("false", .boolean) == .bool(false))
        #expect(RecordView.typed("40", .integer(0...100)) == .number("40"))
        #expect(RecordView.typed("-1.5", .decimal(-2...2)) == .number("-1.5"))
        #expect(RecordView.typed("ar", .code) == .string("ar"))
        #expect(RecordView.typed(nil, .text) == .null)
    }

    @Test func structuredEntriesReadBackTheirParts() throws {
        let field = try Fixtures.cases.field(named: "consent")
        let tricky = "line one\nquote \" back \\ tab\t café"
        let text = try Schema.structuredEntry(
            for: field, parts: ["purpose": tricky, "given": "No", "recorded_by": "Ana"])
        #expect(
            text
                == JSONValue.object([
                    "purpose": .string(tricky), "given": .string("false"), "recorded_by": .string("Ana"),
                ]).canonical)
        let parts = StructuredEntry.parts(of: text)
        #expect(parts.map(\.0) == ["given", "purpose", "recorded_by"])
        #expect(parts.map(\.1) == ["false", tricky, "Ana"])
        #expect(StructuredEntry.parts(of: "not json").isEmpty)
    }
}
