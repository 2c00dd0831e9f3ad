import Testing
import WaypostCore
import WaypostCrypto
import WaypostSync

/// What a discovery announcement reveals, and whom it lets recognise the node.
@Suite struct AnnouncementTests {
    let node = try! SigningKeyPair(seed: [UInt8](repeating: 1, count: 32)).publicKey
    let other = try! SigningKeyPair(seed: [UInt8](repeating: 2, count: 32)).publicKey

    @Test func roundTripsAndIsRecognisedOnlyByWhoKnowsTheNode() throws {
        let announcement = Announcement(node: node, port: 7850)
        let decoded = try Announcement(decoding: announcement.encoded)
        #expect(decoded == announcement)
        #expect(decoded.port == 7850)
        #expect(decoded.announcer(among: [other, node]) == node)
        #expect(decoded.announcer(among: [other]) == nil)
    }

    @Test func revealsNeitherTheIdNorWhetherTwoComeFromOneNode() {
        let first = Announcement(node: node, port: 7850).encoded
        let second = Announcement(node: node, port: 7850).encoded
        #expect(first.count == Announcement.byteCount)
        #expect(first != second, "a fresh salt each time")
        #expect(!Self.contains(first, node.bytes.prefix(8)), "no part of the node id in clear")
        #expect(Array(first[28...]) != Array(second[28...]))
    }

    @Test func refusesWhatIsNotAnAnnouncement() {
        let good = Announcement(node: node, port: 1).encoded
        #expect(throws: SyncError.self) { try Announcement(decoding: Array(good.dropLast())) }
        #expect(throws: SyncError.self) { try Announcement(decoding: [0x58] + good.dropFirst()) }
        var otherVersion = good
        otherVersion[9] = 2
        #expect { try Announcement(decoding: otherVersion) } throws: { ($0 as? SyncError)?.code == .unsupportedVersion }
    }

    static func contains(_ haystack: [UInt8], _ needle: ArraySlice<UInt8>) -> Bool {
        (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
