import Testing
import WaypostTesting
import WaypostCore
import WaypostSync

@testable import WaypostCrypto

/// The sync test vectors in `Protocol/vectors/` (`sync-handshake.txt`, `sync-messages.txt`), which other
/// implementations check themselves against: rebuilt with `WaypostSync`, and again by hand from
/// `Protocol/sync.md`.
@Suite struct SyncVectorTests {
    /// The named values of a vector file.
    struct Values {
        let values: [String: String]

        init(_ file: String) throws {
            values = try ProtocolFiles.values(file)
        }

        func text(_ name: String) throws -> String { try #require(values[name], "no \(name) in the vector") }
        func bytes(_ name: String) throws -> [UInt8] { try ProtocolFiles.hexBytes(try text(name)) }
    }

    static func handshake() throws -> Values { try Values("sync-handshake.txt") }

    /// The versions the vector's channel messages carry: I's `{I: 3, O: 7}` and R's `{R: 12}`.
    static func versions() -> (initiator: VersionVector, responder: VersionVector) {
        (
            VersionVector([Nodes.initiator.publicKey: 3, Nodes.other.publicKey: 7]),
            VersionVector([Nodes.responder.publicKey: 12])
        )
    }

    // MARK: The handshake

    @Test func theHandshakeVectorIsWhatWaypostSyncComputes() throws {
        let vector = try Self.handshake()
        let initiator = try SigningKeyPair(seed: try vector.bytes("initiator-seed"))
        let responder = try SigningKeyPair(seed: try vector.bytes("responder-seed"))
        #expect(initiator.publicKey.bytes == (try vector.bytes("initiator")))
        #expect(initiator.publicKey.description == (try vector.text("initiator-id")))
        #expect(responder.publicKey.bytes == (try vector.bytes("responder")))
        #expect(responder.publicKey.description == (try vector.text("responder-id")))
        #expect(initiator.publicKey == Nodes.initiator.publicKey && responder.publicKey == Nodes.responder.publicKey)

        let initiatorKey = try EphemeralKeyPair(seed: try vector.bytes("initiator-ephemeral-seed"))
        let responderKey = try EphemeralKeyPair(seed: try vector.bytes("responder-ephemeral-seed"))
        #expect(initiatorKey.publicKey == (try vector.bytes("initiator-ephemeral")))
        #expect(initiatorKey.secretKey.bytes == (try vector.bytes("initiator-ephemeral-secret")))
        #expect(responderKey.publicKey == (try vector.bytes("responder-ephemeral")))
        #expect(responderKey.secretKey.bytes == (try vector.bytes("responder-ephemeral-secret")))

        let keys = try SessionKeys.initiator(initiatorKey, responderKey: responderKey.publicKey)
        #expect(keys.receiving.bytes == (try vector.bytes("responder-to-initiator-key")))
        #expect(keys.sending.bytes == (try vector.bytes("initiator-to-responder-key")))

        let dialling = InitiatorHandshake(identity: initiator, ephemeral: initiatorKey)
        var answering = ResponderHandshake(identity: responder, ephemeral: responderKey)
        #expect(dialling.hello == (try vector.bytes("hello")))
        let reply = try answering.reply(to: dialling.hello)
        #expect(reply == (try vector.bytes("reply")))
        let (confirmation, initiatorResult) = try dialling.finish(reply: reply)
        #expect(confirmation == (try vector.bytes("confirmation")))
        let responderResult = try answering.finish(confirmation: confirmation)
        #expect(initiatorResult.peer == responder.publicKey && responderResult.peer == initiator.publicKey)
        #expect(Handshake.versionNotice == (try vector.bytes("version-notice")))

        // The first channel messages: R's accept and versions at its nonces 1 and 2, I's versions at its 1.
        var (dialled, answered) = (initiatorResult, responderResult)
        let (initiatorVersions, responderVersions) = Self.versions()
        #expect(SyncMessage.accept.encoded == (try vector.bytes("accept")))
        #expect(answered.sending.seal(SyncMessage.accept.encoded) == (try vector.bytes("accept-sealed")))
        #expect(try dialled.receiving.open(try vector.bytes("accept-sealed")) == SyncMessage.accept.encoded)
        let sent = SyncMessage.versions(initiatorVersions).encoded
        #expect(sent == (try vector.bytes("initiator-versions")))
        #expect(dialled.sending.seal(sent) == (try vector.bytes("initiator-versions-sealed")))
        #expect(try answered.receiving.open(try vector.bytes("initiator-versions-sealed")) == sent)
        let answer = SyncMessage.versions(responderVersions).encoded
        #expect(answer == (try vector.bytes("responder-versions")))
        #expect(answered.sending.seal(answer) == (try vector.bytes("responder-versions-sealed")))
        #expect(try dialled.receiving.open(try vector.bytes("responder-versions-sealed")) == answer)
    }

    @Test func theHandshakeVectorFollowsTheSpecificationByteForByte() throws {
        // sync.md §2 and §3 without the handshake types: each value rebuilt from the ones before it.
        let vector = try Self.handshake()
        let magic: [UInt8] = [0x57, 0x41, 0x59, 0x50, 0x4f, 0x53, 0x54, 0x53]  // "WAYPOSTS"
        let (initiatorID, responderID) = (try vector.bytes("initiator"), try vector.bytes("responder"))
        let (initiatorKey, responderKey) = (
            try vector.bytes("initiator-ephemeral"), try vector.bytes("responder-ephemeral")
        )

        // crypto_kx_seed_keypair: the secret is BLAKE2b-256 of the seed.
        #expect(
            Blake2b.hash(try vector.bytes("initiator-ephemeral-seed"))
                == (try vector.bytes("initiator-ephemeral-secret")))
        #expect(
            Blake2b.hash(try vector.bytes("responder-ephemeral-seed"))
                == (try vector.bytes("responder-ephemeral-secret")))
        // crypto_kx: BLAKE2b-512 of the shared secret and both public keys, initiator's first; the first
        // half is the responder-to-initiator key.
        let derived = Blake2b.hash(try vector.bytes("shared-secret") + initiatorKey + responderKey, outputLength: 64)
        #expect(Array(derived[0..<32]) == (try vector.bytes("responder-to-initiator-key")))
        #expect(Array(derived[32..<64]) == (try vector.bytes("initiator-to-responder-key")))
        for n in 0..<3 {
            let nonce = [UInt8(n)] + [UInt8](repeating: 0, count: 23)
            #expect(nonce == (try vector.bytes("nonce-\(n)")))
        }

        let hello = magic + [0x00, 0x01] + initiatorKey
        #expect(hello == (try vector.bytes("hello")))
        #expect([0, 0, 0, 42] + hello == (try vector.bytes("hello-frame")))

        let responderStatement = Array("waypost-sync-v1/responder".utf8) + initiatorKey + responderKey + responderID
        #expect(responderStatement.count == 121)
        #expect(responderStatement == (try vector.bytes("responder-statement")))
        let responderSignature = try vector.bytes("responder-signature")
        #expect(SignatureVerifier.isValid(responderSignature, of: responderStatement, by: NodeID(bytes: responderID)))
        #expect(Nodes.responder.sign(responderStatement) == responderSignature)
        #expect(responderID + responderSignature == (try vector.bytes("responder-proof")))
        var responderSending = ChannelCipher(key: SecretBytes(Array(derived[0..<32])))
        let reply = magic + [0x00, 0x01] + responderKey + responderSending.seal(responderID + responderSignature)
        #expect(reply == (try vector.bytes("reply")))

        let initiatorStatement =
            Array("waypost-sync-v1/initiator".utf8) + initiatorKey + responderKey + initiatorID + responderID
        #expect(initiatorStatement.count == 153)
        #expect(initiatorStatement == (try vector.bytes("initiator-statement")))
        let initiatorSignature = try vector.bytes("initiator-signature")
        #expect(SignatureVerifier.isValid(initiatorSignature, of: initiatorStatement, by: NodeID(bytes: initiatorID)))
        #expect(Nodes.initiator.sign(initiatorStatement) == initiatorSignature)
        #expect(initiatorID + initiatorSignature == (try vector.bytes("initiator-proof")))
        var initiatorSending = ChannelCipher(key: SecretBytes(Array(derived[32..<64])))
        #expect(initiatorSending.seal(initiatorID + initiatorSignature) == (try vector.bytes("confirmation")))

        // Channel messages: a type byte, then the fields of sync.md §4; the counters go on from 1.
        let (initiatorVersions, _) = Self.versions()
        let low = initiatorVersions.origins
        #expect(low.map(\.bytes) == [initiatorID, Nodes.other.publicKey.bytes])
        #expect(responderSending.seal([0x01]) == (try vector.bytes("accept-sealed")))
        let versions = [0x10, 0x02] + initiatorID + [0x03] + Nodes.other.publicKey.bytes + [0x07]
        #expect(versions == (try vector.bytes("initiator-versions")))
        #expect(initiatorSending.seal(versions) == (try vector.bytes("initiator-versions-sealed")))
        #expect(
            responderSending.seal([0x10, 0x01] + responderID + [0x0c])
                == (try vector.bytes("responder-versions-sealed")))
        #expect(magic + [0x00, 0x01] == (try vector.bytes("version-notice")))
    }

    @Test func theSpecificationShowsTheVectorBytes() throws {
        // The annotated listings of sync.md §3.5, offsets included, are the vector's messages byte for byte.
        let vector = try Self.handshake()
        for name in ["hello", "reply", "confirmation"] {
            #expect(try ProtocolFiles.listing("sync-\(name)", in: "sync.md") == (try vector.bytes(name)), "\(name)")
        }
    }

    // MARK: The messages

    @Test func theMessagesVectorIsWhatSyncMessageEncodesAndDecodes() throws {
        let (i, o, r) = (Nodes.initiator.publicKey, Nodes.other.publicKey, Nodes.responder.publicKey)
        let expected: [String: SyncMessage] = [
            "accept": .accept,
            "refuse-untrusted": .refuse(SyncMessage.Refusal(.untrusted, "this node does not trust AOQQPP7")),
            "refuse-busy": .refuse(SyncMessage.Refusal(.busy, "already connected to EVB3SL7")),
            "refuse-malformed": .refuse(SyncMessage.Refusal(.malformed, "a batch before versions")),
            "refuse-batch-refused": .refuse(
                SyncMessage.Refusal(.batchRefused, "batch 1: S:3 is not signed by its origin")),
            "refuse-other": .refuse(SyncMessage.Refusal(.other, "")),
            "versions-empty": .versions(VersionVector()),
            "versions": .versions(VersionVector([i: 3, o: 7])),
            "versions-large": .versions(VersionVector([i: 300, o: Dot.maximumSequence - 428, r: 128])),
            "batch": .batch(number: 1, frames: try ProtocolFiles.hexFile("bundle-v2-frames.hex")),
            "acknowledge": .acknowledge(number: 1, applied: 3, versions: VersionVector([i: 3, o: 7, r: 12])),
            "acknowledge-large": .acknowledge(number: 1 << 32, applied: 2000, versions: VersionVector()),
            "caught-up": .caughtUp,
            "keepalive": .keepalive,
        ]
        let all = try ProtocolFiles.values("sync-messages.txt")
        // The messages a reader refuses: numbers out of range (sync.md §4).
        let refused = all.filter { $0.key.hasPrefix("refused-") }
        #expect(
            Set(refused.keys) == ["refused-versions-entry", "refused-versions-total", "refused-versions-sum", "refused-batch-number"])
        for (name, hex) in refused {
            let bytes = try ProtocolFiles.hexBytes(hex)
            #expect(Nodes.code { () throws(SyncError) in try SyncMessage(decoding: bytes) } == .malformed, "\(name)")
        }
        let values = all.filter { !$0.key.hasPrefix("refused-") }
        #expect(Set(values.keys) == Set(expected.keys))
        for (name, hex) in values {
            let bytes = try ProtocolFiles.hexBytes(hex)
            let message = try #require(expected[name], "\(name) is not a message this test knows")
            #expect(message.encoded == bytes, "\(name)")
            #expect(try SyncMessage(decoding: bytes) == message, "\(name)")
        }
    }

    @Test func theMessagesVectorFollowsTheSpecificationByteForByte() throws {
        // A few messages built by hand from sync.md §4.
        let values = try ProtocolFiles.values("sync-messages.txt")
        func bytes(_ name: String) throws -> [UInt8] { try ProtocolFiles.hexBytes(try #require(values[name])) }
        let (i, o, r) = (Nodes.initiator.publicKey.bytes, Nodes.other.publicKey.bytes, Nodes.responder.publicKey.bytes)
        #expect(
            try bytes("versions-large") == [0x10, 0x03] + i + [0xac, 0x02] + o + [0xd3, 0xfc] + Array(repeating: 0xff, count: 6)
                + [0x7f] + r + [0x80, 0x01])
        #expect(try bytes("acknowledge-large") == [0x12, 0x80, 0x80, 0x80, 0x80, 0x10, 0xd0, 0x0f, 0x00])
        #expect(try bytes("refuse-other") == [0x02, 0xff])
        // The examples of sync.md §4.
        #expect(try bytes("versions").count == 68)
        #expect(
            SyncMessage.acknowledge(number: 1, applied: 3, versions: VersionVector()).encoded == [
                0x12, 0x01, 0x03, 0x00,
            ])
        #expect(try bytes("batch") == [0x11, 0x01] + (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
        #expect(try bytes("caught-up") == [0x13] && (try bytes("keepalive")) == [0x14])
    }
}
