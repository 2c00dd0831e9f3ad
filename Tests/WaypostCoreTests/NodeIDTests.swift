import Testing
import WaypostTesting

@testable import WaypostCore

@Suite struct NodeIDTests {
    /// A device id from Syncthing's own tests (`lib/protocol/deviceid_test.go`), which uses the same
    /// base32 and Luhn mod 32 scheme: parsing and printing it checks interoperability of the scheme.
    let syncthingID = "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2"

    @Test(arguments: 0..<50 as Range<UInt64>)
    func theHumanFormRoundTrips(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let id = Fixtures.node(using: &random)
        let text = id.description
        #expect(try NodeID(parsing: text) == id)
        #expect(try NodeID(parsing: text.lowercased()) == id)
        #expect(try NodeID(parsing: text.filter { $0 != "-" }) == id)
        #expect(try NodeID(parsing: text.replacingDashes(with: " ")) == id)
    }

    @Test func theHumanFormIsEightGroupsOfSevenBase32Characters() {
        var random = SplitMix64(seed: 7)
        let text = Fixtures.node(using: &random).description
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        #expect(groups.count == 8)
        #expect(groups.allSatisfy { $0.count == 7 })
        #expect(text.utf8.allSatisfy { $0 == UInt8(ascii: "-") || Base32.value(of: $0) != nil })
        #expect(text == text.uppercased())
    }

    @Test func aSyncthingDeviceIDParsesAndPrintsTheSame() throws {
        let id = try NodeID(parsing: syncthingID)
        #expect(id.description == syncthingID)
        #expect(id.short == "P56IOI7")
        #expect(try NodeID(parsing: "p56ioi7mzjnu2yiqgdreydm2mgtimgl3bxnpq6w5bmtbbz4tjxzwicq2") == id)
    }

    @Test func theCheckCharacterMatchesSyncthingsLuhn32() {
        // Vectors from Syncthing-compatible implementations' tests.
        #expect(NodeID.luhn32(Array("WG2IWWALPC2HZ".utf8)) == UInt8(ascii: "H"))
        #expect(NodeID.luhn32(Array("KHQNO2S5QSILR".utf8)) == UInt8(ascii: "K"))
        #expect(NodeID.luhn32(Array("MFZWI3DBONSGY".utf8)) == UInt8(ascii: "C"))
    }

    @Test func everySingleCharacterTypoIsCaught() throws {
        var random = SplitMix64(seed: 11)
        let text = Array(Fixtures.node(using: &random).description)
        let positions = text.indices.filter { text[$0] != "-" }
        #expect(positions.count == 56)
        var caught = 0
        for position in positions {
            for replacement in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" where replacement != text[position] {
                var typo = text
                typo[position] = replacement
                let block = positions.firstIndex(of: position)! / 14 + 1
                let error = #expect(throws: CoreError.self) { try NodeID(parsing: String(typo)) }
                #expect(error?.code == .malformedIdentifier)
                #expect(error?.message.contains("check character \(block) does not match") == true)
                caught += 1
            }
        }
        #expect(caught == 56 * 31)
    }

    @Test(arguments: [55, 57, 0])
    func aWrongLengthIsRefused(length: Int) {
        let text = String(repeating: "A", count: length)
        let error = #expect(throws: CoreError.self) { try NodeID(parsing: text) }
        #expect(error?.code == .malformedIdentifier)
        #expect(error?.message.contains("expected 56") == true)
    }

    @Test func aDroppedCharacterIsRefused() {
        let error = #expect(throws: CoreError.self) { try NodeID(parsing: String(syncthingID.dropLast())) }
        #expect(error?.message.contains("expected 56") == true)
    }

    @Test(arguments: ["0", "1", "8", "9", "!", "é"])
    func aCharacterOutsideTheAlphabetIsRefused(character: String) {
        var text = Array(syncthingID.filter { $0 != "-" })
        text[3] = Character(character)
        let error = #expect(throws: CoreError.self) { try NodeID(parsing: String(text)) }
        #expect(error?.code == .malformedIdentifier)
        #expect(error?.message.contains("outside A-Z and 2-7") == true)
    }

    @Test func nodeIDsAreOrderedByTheirBytes() {
        #expect(Fixtures.node(1) < Fixtures.node(2))
        var low = [UInt8](repeating: 0xFF, count: 32)
        low[0] = 0
        #expect(NodeID(bytes: low) < NodeID(bytes: [1] + [UInt8](repeating: 0, count: 31)))
    }
}

extension String {
    fileprivate func replacingDashes(with separator: Character) -> String {
        String(map { $0 == "-" ? separator : $0 })
    }
}
