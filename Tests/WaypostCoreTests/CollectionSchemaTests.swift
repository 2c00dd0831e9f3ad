import Testing

@testable import WaypostCore

@Suite struct CollectionSchemaTests {
    @Test func aTopLevelPathResolvesToItsField() throws {
        let path = try Fixtures.cases.resolve("languages")
        #expect(path.field.name == "languages")
        #expect(path.entry == nil && path.member == nil)
        #expect(path.kind == .set)
        #expect(path.type == .code)
        #expect(path.description == "languages")
    }

    @Test func anEntryPathResolvesToARegisterOfTheMembersType() throws {
        let path = try Fixtures.cases.resolve("referrals.Abcd2345.service")
        #expect(path.field.kind == .entries)
        #expect(path.entry?.text == "abcd2345")
        #expect(path.kind == .register)
        #expect(path.type == .reference(.service))
        #expect(path.description == "referrals.abcd2345.service")
    }

    @Test(arguments: ["a", "abc", "abcd-efg", "abcdefghijklmnopq", "abcd1", "ab cd"])
    func malformedEntryKeysAreRefused(text: String) {
        let error = #expect(throws: CoreError.self) { try EntryKey(parsing: text) }
        #expect(error?.code == .malformedIdentifier)
    }

    @Test func randomEntryKeysAreEightBase32Characters() throws {
        let key = EntryKey.random()
        #expect(key.text.count == 8)
        #expect(try EntryKey(parsing: key.text) == key)
    }

    @Test func everyFieldOfBothCollectionsHasAUniqueNameAndEntriesHaveMembers() {
        for collection in RecordCollection.allCases {
            let fields = Fixtures.schema[collection].fields
            #expect(Set(fields.map(\.name)).count == fields.count)
            for field in fields where field.kind == .entries {
                #expect(!field.members.isEmpty)
                #expect(field.members.allSatisfy { $0.kind == .register })
            }
        }
        #expect(Fixtures.services.fields.filter { !$0.isPublic }.map(\.name) == ["referral_contact"])
    }

    @Test func collectionsAreFoundByTheirNames() throws {
        #expect(try RecordCollection(named: "Cases") == .caseFile)
        #expect(try RecordCollection(named: "service") == .service)
        #expect(RecordCollection.caseFile.viewName == "cases")
        let error = #expect(throws: CoreError.self) { try RecordCollection(named: "people") }
        #expect(error?.code == .unknownCollection)
    }

    @Test func aStructuredEntryNeedsEveryPartAndOnlyKnownOnes() throws {
        let consent = try Fixtures.cases.field(named: "consent")
        let missing = #expect(throws: CoreError.self) {
            try Schema.structuredEntry(for: consent, parts: ["purpose": "referral", "given": "yes"])
        }
        #expect(missing?.message == "consent needs recorded_by (text (at most 200 characters))")
        let unknown = #expect(throws: CoreError.self) {
            try Schema.structuredEntry(
                for: consent, parts: ["purpose": "x", "given": "yes", "recorded_by": "A", "by": "B"])
        }
        #expect(unknown?.code == .unknownField)
        let invalid = #expect(throws: CoreError.self) {
            try Schema.structuredEntry(for: consent, parts: ["purpose": "x", "given": "perhaps", "recorded_by": "A"])
        }
        #expect(invalid?.message.contains("consent.given") == true)
    }
}
