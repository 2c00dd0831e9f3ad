import Foundation
import Testing
import WaypostCore
import WaypostCrypto
import WaypostSync
import WaypostTesting

/// The committed seeds of the sync fuzz targets (`Fuzz/Corpus`, written by `Fuzz/make-corpus` from the
/// protocol vectors) are still what they stand for: every channel message seed decodes but those named
/// `refused-…`, and each handshake seed (a mode byte, then a message) is accepted where it is used.
@Suite struct FuzzCorpusTests {
    static let corpus = ProtocolFiles.folder.deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    static func seeds(_ target: String) throws -> [String: [UInt8]] {
        let folder = corpus.appendingPathComponent(target)
        var seeds: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            seeds[name] = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        return seeds
    }

    @Test func everyMessageSeedDecodesButTheRefusedOnes() throws {
        let seeds = try Self.seeds("sync-messages")
        #expect(seeds.count >= 10)
        for (name, bytes) in seeds {
            let code = Nodes.code { () throws(SyncError) in try SyncMessage(decoding: bytes) }
            #expect(code == (name.hasPrefix("refused-") ? .malformed : nil), "\(name)")
        }
    }

    @Test func theHandshakeSeedsAreTheVectorsMessages() throws {
        let seeds = try Self.seeds("handshake")
        let initiator = InitiatorHandshake(
            identity: Nodes.initiator, ephemeral: try EphemeralKeyPair(seed: Nodes.seed(0xA0)))
        var responder = ResponderHandshake(
            identity: Nodes.responder, ephemeral: try EphemeralKeyPair(seed: Nodes.seed(0xC0)))
        let hello = try #require(seeds["hello"])
        #expect(hello == [0] + initiator.hello)
        let reply = try responder.reply(to: Array(hello.dropFirst()))
        #expect(try #require(seeds["reply"]) == [1] + reply)
        let (confirmation, _) = try initiator.finish(reply: reply)
        #expect(try #require(seeds["confirmation"]) == [2] + confirmation)
        #expect(try responder.finish(confirmation: confirmation).peer == Nodes.initiator.publicKey)
        let announcement = try Announcement(decoding: Array(try #require(seeds["announcement"]).dropFirst()))
        #expect(announcement.announcer(among: [Nodes.initiator.publicKey]) == Nodes.initiator.publicKey)
    }
}
