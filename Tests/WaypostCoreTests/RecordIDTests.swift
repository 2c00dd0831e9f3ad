import Testing
import WaypostTesting

@testable import WaypostCore

@Suite struct RecordIDTests {
    @Test(arguments: ["k7f3-m2q4-x4c2-ab5d", "K7F3-M2Q4-X4C2-AB5D", "k7f3m2q4x4c2ab5d", "K7F3m2q4-X4C2ab5d"])
    func anIdParsesInEitherCaseWithOrWithoutDashes(text: String) throws {
        #expect(try RecordID(parsing: text).text == "k7f3-m2q4-x4c2-ab5d")
    }

    @Test(arguments: [
        "k7f3-m2q4-x4c2-ab5", "k7f3-m2q4-x4c2-ab5da", "", "k7f3-m2q9-x4c1-ab5d", "k7f3 m2q4 x4c2 ab5d",
        "k7f3-m2q4-x4c2-ab5é",
    ])
    func aMalformedIdIsRefused(text: String) {
        let error = #expect(throws: CoreError.self) { try RecordID(parsing: text) }
        #expect(error?.code == .malformedIdentifier)
        #expect(error?.message.contains("is not a record id") == true)
    }

    @Test func theExampleInTheErrorMessageIsItselfAnId() throws {
        let error = #expect(throws: CoreError.self) { try RecordID(parsing: "nope") }
        let example = try #require(error?.message.split(separator: " ").last.map(String.init))
        #expect(try RecordID(parsing: example).text == example)
    }

    @Test(arguments: 0..<20 as Range<UInt64>)
    func randomIdsAreCanonicalAndRoundTripThroughTheirBytes(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let id = RecordID.random(using: &random)
        #expect(try RecordID(parsing: id.text) == id)
        #expect(id.text.count == 19)
        #expect(id.bytes.count == 10)
        #expect(RecordID(bytes: id.bytes) == id)
    }

    @Test func idsFromTheSameSeedAreTheSameAndOthersDiffer() {
        var first = SplitMix64(seed: 3)
        var second = SplitMix64(seed: 3)
        #expect(RecordID.random(using: &first) == RecordID.random(using: &second))
        #expect(RecordID.random(using: &first) != RecordID.random())
    }

    @Test func onlyTenBytesMakeAnId() {
        #expect(RecordID(bytes: [1, 2, 3]) == nil)
        #expect(RecordID(bytes: [UInt8](repeating: 0, count: 10))?.text == "aaaa-aaaa-aaaa-aaaa")
    }
}
