import Testing

@testable import WaypostCore

@Suite struct EditTests {
    let cases = Fixtures.cases
    let services = Fixtures.services

    func expectError(
        _ text: String, in schema: CollectionSchema, _ code: CoreError.Code, mentioning words: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: CoreError.self, sourceLocation: sourceLocation) {
            try Edit(parsing: text, in: schema)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
        for word in words {
            #expect(
                error?.message.contains(word) == true, "\(error?.message ?? "") names \(word)",
                sourceLocation: sourceLocation)
        }
    }

    // MARK: Parsing

    @Test func anAssignmentParsesIntoACanonicalValue() throws {
        let edit = try Edit(parsing: "given_name=Amina", in: cases)
        #expect(edit.path.description == "given_name")
        #expect(edit.action == .assign("Amina"))
        #expect(try Edit(parsing: "status=Closed", in: cases).action == .assign("closed"))
        #expect(try Edit(parsing: "given_name=", in: cases).action == .assign(""))
        #expect(try Edit(parsing: "location=a=b", in: cases).action == .assign("a=b"))
    }

    @Test func setsTakeAddsAndRemoves() throws {
        let add = try Edit(parsing: "languages+=AR", in: cases)
        #expect(add.path.description == "languages")
        #expect(add.action == .insert("ar"))
        #expect(try Edit(parsing: "languages-=fr", in: cases).action == .remove("fr"))
    }

    @Test func countersTakeIncrementsAndDecrements() throws {
        #expect(try Edit(parsing: "occupied+=2", in: services).action == .increment(2))
        #expect(try Edit(parsing: "occupied-=1", in: services).action == .increment(-1))
        #expect(try Edit(parsing: "occupied+=1000000", in: services).action == .increment(1_000_000))
    }

    @Test(arguments: [
        "occupied+=0", "occupied-=-3", "occupied+=1.5", "occupied+=", "occupied+=1000001", "occupied+=two",
    ])
    func aCounterRefusesAmountsThatAreNotWholePositiveNumbers(text: String) {
        expectError(text, in: services, .invalidValue, mentioning: ["occupied", "whole number"])
    }

    @Test func logsTakeAppends() throws {
        #expect(try Edit(parsing: "notes+=Seen at the clinic", in: cases).action == .append("Seen at the clinic"))
        expectError("notes+=", in: cases, .invalidValue, mentioning: ["empty"])
        expectError("consent+=yes", in: cases, .wrongKind, mentioning: ["structured", "waypost case consent"])
    }

    @Test func anEntryFieldParsesWithItsKey() throws {
        let edit = try Edit(parsing: "household.AMINA222.sex=Female", in: cases)
        #expect(edit.path.description == "household.amina222.sex")
        #expect(edit.path.entry == Fixtures.memberKey)
        #expect(edit.path.member?.name == "sex")
        #expect(edit.path.kind == .register)
        #expect(edit.action == .assign("female"))
    }

    @Test func anUnknownFieldIsRefusedNamingTheKnownFields() {
        expectError(
            "nickname=Ami", in: cases, .unknownField,
            mentioning: ["'nickname' is not a case field", "given_name", "languages", "household", "consent"])
        expectError("beds=4", in: services, .unknownField, mentioning: ["service field", "capacity_total", "occupied"])
        expectError(
            "household.amina222.nickname=Ami", in: cases, .unknownField,
            mentioning: ["nickname", "relationship", "given_name", "date_of_birth"])
    }

    @Test func entriesMustBeAddressedOneFieldAtATime() {
        expectError("household=Sara", in: cases, .unknownField, mentioning: ["household.KEY.FIELD", "relationship"])
        expectError("household.amina222=Sara", in: cases, .unknownField, mentioning: ["household.KEY.FIELD"])
        expectError("household.a!.given_name=Sara", in: cases, .malformedIdentifier, mentioning: ["entry key"])
        expectError("given_name.first=Amina", in: cases, .unknownField, mentioning: ["no sub-fields"])
    }

    @Test(arguments: [
        ("given_name+=Amina", "given_name=VALUE"),
        ("given_name-=Amina", "given_name=VALUE"),
        ("languages=ar", "languages+=VALUE"),
        ("occupied=3", "occupied+=N"),
        ("notes=hello", "notes+=TEXT"),
        ("notes-=hello", "notes+=TEXT"),
    ])
    func theWrongOperatorIsRefusedShowingTheRightOne(text: String, hint: String) {
        let schema = text.hasPrefix("occupied") ? services : cases
        expectError(text, in: schema, .wrongKind, mentioning: [hint])
    }

    @Test func textWithoutAnEqualsSignIsNotAnEdit() {
        expectError("given_name Amina", in: cases, .invalidValue, mentioning: ["FIELD=VALUE"])
    }

    @Test func anInvalidValueIsRefusedNamingTheField() {
        expectError("date_of_birth=2023-02-29", in: cases, .invalidValue, mentioning: ["date_of_birth", "YYYY-MM-DD"])
        expectError(
            "household.amina222.date_of_birth=soon", in: cases, .invalidValue,
            mentioning: ["household.amina222.date_of_birth"])
    }

    // MARK: Operations

    func live(_ origin: UInt8, _ sequence: UInt64, _ value: String) -> LiveValue {
        LiveValue(
            dot: Dot(origin: Fixtures.node(origin), sequence: sequence), timestamp: Fixtures.time(0), value: value)
    }

    @Test func anAssignmentSupersedesEveryValueItSeesInDotOrder() throws {
        let edit = try Edit(parsing: "given_name=Amina", in: cases)
        let seen = [live(2, 1, "Yusuf"), live(1, 4, "Ami"), live(1, 2, "Aminah")]
        #expect(try edit.operation(seeing: seen) == .assign(value: "Amina", supersedes: seen.map(\.dot).sorted()))
        #expect(try edit.operation(seeing: []) == .assign(value: "Amina", supersedes: []))
    }

    @Test func anAddOfAnElementAlreadySeenIsANewAdd() throws {
        let edit = try Edit(parsing: "languages+=ar", in: cases)
        #expect(try edit.operation(seeing: [live(1, 1, "ar")]) == .insert(element: "ar"))
        #expect(try edit.operation(seeing: [live(1, 1, "fr")]) == .insert(element: "ar"))
    }

    @Test func aRemoveSupersedesEveryAddOfItsElementOnly() throws {
        let edit = try Edit(parsing: "languages-=ar", in: cases)
        let seen = [live(2, 1, "ar"), live(1, 1, "fr"), live(1, 2, "ar")]
        #expect(
            try edit.operation(seeing: seen)
                == .remove(
                    element: "ar",
                    supersedes: [
                        Dot(origin: Fixtures.node(1), sequence: 2), Dot(origin: Fixtures.node(2), sequence: 1),
                    ]))
        let error = #expect(throws: CoreError.self) { try edit.operation(seeing: [live(1, 1, "fr")]) }
        #expect(error?.message == "'ar' is not in languages; nothing to remove")
    }

    @Test func incrementsAndAppendsIgnoreWhatIsSeen() throws {
        let increment = try Edit(parsing: "occupied-=3", in: services)
        #expect(try increment.operation(seeing: [live(1, 1, "5")]) == .increment(by: -3))
        let append = try Edit(parsing: "notes+=hello", in: cases)
        #expect(try append.operation(seeing: [live(1, 1, "hello")]) == .append(entry: "hello"))
    }
}
