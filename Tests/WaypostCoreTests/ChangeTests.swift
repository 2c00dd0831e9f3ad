import Testing

@testable import WaypostCore

@Suite struct ChangeTests {
    let one = Fixtures.node(1)

    func change(_ field: String, _ operation: Operation, collection: RecordCollection = .caseFile) -> Change {
        Fixtures.change(one, 1, at: 0, field, operation, collection: collection)
    }

    func expectRefused(
        _ change: Change, _ code: CoreError.Code, mentioning words: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: CoreError.self, sourceLocation: sourceLocation) {
            try change.validate(against: Fixtures.schema)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
        for word in words {
            #expect(
                error?.message.contains(word) == true, "\(error?.message ?? "") names \(word)",
                sourceLocation: sourceLocation)
        }
    }

    // MARK: Validation

    @Test func wellFormedChangesOfEveryKindPass() throws {
        let valid = [
            change("status", .assign(value: "closed", supersedes: [])),
            change("given_name", .assign(value: "", supersedes: [Dot(origin: one, sequence: 1)])),
            change("languages", .insert(element: "ar")),
            change("languages", .remove(element: "ar", supersedes: [])),
            change("notes", .append(entry: "seen at the clinic")),
            change("household.amina222.date_of_birth", .assign(value: "2024-02-29", supersedes: [])),
            change("occupied", .increment(by: -4), collection: .service),
            change("latitude", .assign(value: "-12.34", supersedes: []), collection: .service),
            change("consent", .append(entry: #"{"given":"true","purpose":"referral","recorded_by":"Ana"}"#)),
        ]
        for change in valid { try change.validate(against: Fixtures.schema) }
    }

    @Test func anOperationOfTheWrongKindIsRefused() {
        expectRefused(
            change("given_name", .insert(element: "Amina")), .wrongKind,
            mentioning: ["insert", "given_name", "register"])
        expectRefused(
            change("languages", .assign(value: "ar", supersedes: [])), .wrongKind, mentioning: ["assign", "set"])
        expectRefused(change("notes", .increment(by: 1)), .wrongKind, mentioning: ["increment", "log"])
        expectRefused(
            change("occupied", .append(entry: "1"), collection: .service), .wrongKind, mentioning: ["counter"])
        expectRefused(change("household.amina222.sex", .insert(element: "female")), .wrongKind)
    }

    @Test func aValueNotInCanonicalFormIsRefused() {
        expectRefused(
            change("status", .assign(value: "Closed", supersedes: [])), .invalidValue,
            mentioning: ["canonical", "status"])
        expectRefused(
            change("latitude", .assign(value: "-12.3400", supersedes: []), collection: .service), .invalidValue,
            mentioning: ["canonical"])
        expectRefused(
            change("languages", .insert(element: "AR")), .invalidValue, mentioning: ["canonical", "languages"])
        expectRefused(
            change("languages", .remove(element: "FR", supersedes: [])), .invalidValue, mentioning: ["canonical"])
        expectRefused(
            change("household.amina222.sex", .assign(value: "Female", supersedes: [])), .invalidValue,
            mentioning: ["household.amina222.sex"])
    }

    @Test func aValueThatFitsNoFormIsRefused() {
        expectRefused(change("date_of_birth", .assign(value: "2023-02-29", supersedes: [])), .invalidValue)
        expectRefused(change("notes", .append(entry: "bell\u{7}")), .invalidValue)
        expectRefused(change("consent", .append(entry: "consent given")), .invalidValue, mentioning: ["structured"])
    }

    @Test func anUnknownFieldIsRefused() {
        expectRefused(change("nickname", .assign(value: "Ami", supersedes: [])), .unknownField)
        expectRefused(change("occupied", .increment(by: 1)), .unknownField, mentioning: ["case field"])
        expectRefused(change("household", .assign(value: "x", supersedes: [])), .unknownField)
    }

    @Test func aFieldPathNotInCanonicalFormIsRefused() {
        // Resolving lower-cases the entry key; accepting this spelling would make a second address
        // for household.amina222.given_name, and the record would show either at random.
        expectRefused(
            change("household.AMINA222.given_name", .assign(value: "Sara", supersedes: [])), .malformedIdentifier,
            mentioning: ["household.amina222.given_name"])
    }

    // MARK: Live values and addresses

    @Test func eachOperationMakesItsLiveValue() {
        let at = Fixtures.time(0)
        let dot = Dot(origin: one, sequence: 1)
        #expect(
            change("status", .assign(value: "open", supersedes: [])).liveValue
                == LiveValue(dot: dot, timestamp: at, value: "open"))
        #expect(change("languages", .insert(element: "ar")).liveValue?.value == "ar")
        #expect(change("occupied", .increment(by: -3), collection: .service).liveValue?.value == "-3")
        #expect(change("notes", .append(entry: "hi")).liveValue?.value == "hi")
        #expect(change("languages", .remove(element: "ar", supersedes: [dot])).liveValue == nil)
    }

    @Test func anOperationNamesItsKindVerbArgumentAndSupersededDots() {
        let dots = [Dot(origin: one, sequence: 1)]
        let operations: [(Operation, FieldKind, String, String, [Dot])] = [
            (.assign(value: "x", supersedes: dots), .register, "assign", "x", dots),
            (.insert(element: "ar"), .set, "insert", "ar", []),
            (.remove(element: "ar", supersedes: dots), .set, "remove", "ar", dots),
            (.increment(by: -2), .counter, "increment", "-2", []),
            (.append(entry: "hello"), .log, "append", "hello", []),
        ]
        for (operation, kind, verb, argument, supersedes) in operations {
            #expect(operation.fieldKind == kind)
            #expect(operation.verb == verb)
            #expect(operation.argument == argument)
            #expect(operation.supersedes == supersedes)
        }
    }

    @Test func addressesOrderByCollectionRecordThenField() {
        let a = FieldAddress(collection: .caseFile, record: Fixtures.otherCaseRecord, field: "a")
        let b = FieldAddress(collection: .service, record: Fixtures.caseRecord, field: "a")
        let c = FieldAddress(collection: .caseFile, record: Fixtures.caseRecord, field: "z")
        #expect([a, b, c].sorted() == [c, a, b])
        #expect(
            change("status", .insert(element: "x")).address
                == FieldAddress(collection: .caseFile, record: Fixtures.caseRecord, field: "status"))
    }
}
