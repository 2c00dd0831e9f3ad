import Testing

@testable import WaypostCore

@Suite struct ValueTypeTests {
    /// Asserts that `input` is refused as an invalid value, with a message naming the field.
    func expectRefused(_ type: ValueType, _ input: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: CoreError.self, sourceLocation: sourceLocation) {
            try type.canonical(input, field: "the_field")
        }
        #expect(error?.code == .invalidValue, sourceLocation: sourceLocation)
        #expect(error?.message.contains("the_field") == true, sourceLocation: sourceLocation)
    }

    // MARK: Dates

    @Test(arguments: ["2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01", "2023-04-30"])
    func realDatesAreAccepted(input: String) throws {
        #expect(try ValueType.date.canonical(input, field: "date_of_birth") == input)
    }

    @Test(arguments: [
        "2023-02-29", "1900-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
        "0000-01-01", "2024-1-05", "24-01-05", "2024/01/05", "2024-01-05T00:00", "", "２０２４-01-05", "2024-0a-05",
    ])
    func impossibleOrMalformedDatesAreRefused(input: String) {
        expectRefused(.date, input)
    }

    // MARK: Booleans

    @Test(arguments: [
        ("true", "true"), ("Yes", "true"), ("y", "true"), ("1", "true"), ("FALSE", "false"),
        ("no", "false"), ("N", "false"), ("0", "false"),
    ])
    func booleansBecomeTrueOrFalse(input: String, canonical: String) throws {
        #expect(try ValueType.boolean.canonical(input, field: "dob_estimated") == canonical)
    }

    @Test(arguments: ["maybe", "", "2", "t"])
    func otherWordsAreNotBooleans(input: String) {
        expectRefused(.boolean, input)
    }

    // MARK: Numbers

    @Test(arguments: [
        ("-12.3400", "-12.34"), ("12", "12"), ("0012.50", "12.5"), ("-0", "0"), ("-0.000", "0"), ("0.0", "0"),
        ("90", "90"), ("-90.0", "-90"), ("1.000001", "1.000001"),
    ])
    func decimalsAreWrittenWithoutNeedlessZeros(input: String, canonical: String) throws {
        #expect(try ValueType.decimal(-90...90).canonical(input, field: "latitude") == canonical)
    }

    @Test(arguments: ["+5", "+5.", "5.", ".5", "1e3", "--1", "1.2.3", "", "-", "90.0001", "-91", "١٢", " 12", "1,5"])
    func malformedOrOutOfRangeDecimalsAreRefused(input: String) {
        expectRefused(.decimal(-90...90), input)
    }

    @Test func integersAreCanonicalAndBounded() throws {
        let type = ValueType.integer(0...1_000_000)
        #expect(try type.canonical("42", field: "capacity_total") == "42")
        #expect(try type.canonical("+42", field: "capacity_total") == "42")
        #expect(try type.canonical("0", field: "capacity_total") == "0")
        expectRefused(type, "-1")
        expectRefused(type, "1000001")
        expectRefused(type, "4.0")
        expectRefused(type, "")
    }

    // MARK: Words and codes

    @Test func choicesAreLowerCasedAndMustBeListed() throws {
        let type = ValueType.choice(["open", "closed"])
        #expect(try type.canonical("Open", field: "status") == "open")
        #expect(try type.canonical("CLOSED", field: "status") == "closed")
        expectRefused(type, "opened")
        expectRefused(type, "")
        let error = #expect(throws: CoreError.self) { try type.canonical("shut", field: "status") }
        #expect(error?.message == "'shut' is not a valid status: expected one of open, closed")
    }

    @Test func codesAreShortLowerCaseWords() throws {
        #expect(try ValueType.code.canonical("EN-gb", field: "languages") == "en-gb")
        #expect(try ValueType.code.canonical("legal_aid.v2", field: "category") == "legal_aid.v2")
        expectRefused(.code, "")
        expectRefused(.code, "two words")
        expectRefused(.code, "ça")
        expectRefused(.code, String(repeating: "a", count: 65))
        #expect(try ValueType.code.canonical(String(repeating: "a", count: 64), field: "x").count == 64)
    }

    @Test func identifiersLowerCaseOnlyTheScheme() throws {
        #expect(try ValueType.identifier.canonical("UNHCR:123-45C", field: "identifiers") == "unhcr:123-45C")
        #expect(try ValueType.identifier.canonical("passport:AB:12", field: "identifiers") == "passport:AB:12")
        expectRefused(.identifier, "123-45C")
        expectRefused(.identifier, ":123")
        expectRefused(.identifier, "unhcr:")
        expectRefused(.identifier, "unhcr:12 34")
        expectRefused(.identifier, "un hcr:1234")
        expectRefused(.identifier, "unhcr:" + String(repeating: "9", count: 129))
    }

    @Test func phonesKeepTheirSpellingButMustHoldADigit() throws {
        #expect(try ValueType.phone.canonical("+44 (20) 7946-0958", field: "phones") == "+44 (20) 7946-0958")
        expectRefused(.phone, "call me")
        expectRefused(.phone, "+-()")
        expectRefused(.phone, "")
        expectRefused(.phone, "0800.123")
        expectRefused(.phone, String(repeating: "1", count: 33))
    }

    @Test func referencesAreRecordIDsInCanonicalForm() throws {
        let type = ValueType.reference(.service)
        #expect(try type.canonical("K7F3M2Q4X4C2AB5D", field: "service") == "k7f3-m2q4-x4c2-ab5d")
        expectRefused(type, "k7f3")
    }

    // MARK: Text

    @Test func textIsKeptAsTypedWithinItsLength() throws {
        let type = ValueType.text(maxLength: 5)
        #expect(try type.canonical("Amína", field: "given_name") == "Amína")
        #expect(try type.canonical("a\tb\nc", field: "given_name") == "a\tb\nc")
        #expect(try type.canonical("", field: "given_name") == "")
        let long = #expect(throws: CoreError.self) { try type.canonical("Aminah", field: "given_name") }
        #expect(long?.message == "given_name is too long: 6 characters, at most 5")
        let control = #expect(throws: CoreError.self) { try type.canonical("a\u{7}b", field: "given_name") }
        #expect(control?.code == .invalidValue)
        #expect(control?.message.contains("control characters") == true)
    }

    @Test func theSummaryDescribesWhatIsAccepted() {
        #expect(ValueType.integer(0...10).summary == "a whole number from 0 to 10")
        #expect(ValueType.choice(["a", "b"]).summary == "one of a, b")
        #expect(ValueType.reference(.service).summary == "the id of a service record")
    }
}
