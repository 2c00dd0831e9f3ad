import Testing
import WaypostCore
import WaypostCrypto
import WaypostSync

/// The three handshake messages (`Protocol/sync.md` §3): mutual proof of identity over fresh keys, and
/// everything an active attacker might try against it.
@Suite struct HandshakeTests {
    static let magic = Array("WAYPOSTS".utf8)

    /// `"waypost-sync-v1/responder" ‖ e_I ‖ e_R ‖ R_id`, built from the specification.
    static func responderStatement(_ initiatorKey: [UInt8], _ responderKey: [UInt8], _ id: NodeID) -> [UInt8] {
        Array("waypost-sync-v1/responder".utf8) + initiatorKey + responderKey + id.bytes
    }

    /// `"waypost-sync-v1/initiator" ‖ e_I ‖ e_R ‖ I_id ‖ R_id`, built from the specification.
    static func initiatorStatement(
        _ initiatorKey: [UInt8], _ responderKey: [UInt8], _ id: NodeID, _ responder: NodeID
    ) -> [UInt8] {
        Array("waypost-sync-v1/initiator".utf8) + initiatorKey + responderKey + id.bytes + responder.bytes
    }

    /// A hello made by hand with `ephemeral`.
    static func hello(_ ephemeral: EphemeralKeyPair, version: [UInt8] = [0, 1]) -> [UInt8] {
        magic + version + ephemeral.publicKey
    }

    /// A reply to `hello` made by hand: `ephemeral`'s key, then `claimed` and `signer`'s signature of
    /// `statement`, sealed at nonce 0 under the responder-to-initiator key.
    static func reply(
        to hello: [UInt8], ephemeral: EphemeralKeyPair, claimed: NodeID, signer: SigningKeyPair, statement: [UInt8]
    ) throws -> [UInt8] {
        let keys = try SessionKeys.responder(ephemeral, initiatorKey: Array(hello[10...]))
        var sending = ChannelCipher(key: keys.sending)
        return magic + [0, 1] + ephemeral.publicKey + sending.seal(claimed.bytes + signer.sign(statement))
    }

    /// A confirmation of `reply` made by hand, by the initiator whose hello carried `ephemeral`'s key.
    static func confirmation(
        of reply: [UInt8], ephemeral: EphemeralKeyPair, claimed: NodeID, signer: SigningKeyPair, statement: [UInt8]
    ) throws -> [UInt8] {
        let keys = try SessionKeys.initiator(ephemeral, responderKey: Array(reply[10..<42]))
        var sending = ChannelCipher(key: keys.sending)
        return sending.seal(claimed.bytes + signer.sign(statement))
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    // MARK: A handshake that succeeds

    @Test func aFullHandshakeGivesEachSideTheOthersIdAndAChannelBothWays() throws {
        let (initiator, responder, messages) = try Nodes.handshake()
        #expect(initiator.peer == Nodes.responder.publicKey)
        #expect(responder.peer == Nodes.initiator.publicKey)
        #expect(messages.map(\.count) == [42, 154, 112])
        #expect(
            [Handshake.helloByteCount, Handshake.replyByteCount, Handshake.confirmationByteCount]
                == messages.map(\.count))
        var (dialling, answering) = (initiator, responder)
        // Nonce 0 of each direction went into the handshake: the channel starts at 1.
        #expect(dialling.sending.counter == 1 && dialling.receiving.counter == 1)
        #expect(answering.sending.counter == 1 && answering.receiving.counter == 1)
        for round in 0..<5 {
            let ping = Array("from the initiator \(round)".utf8)
            #expect(try answering.receiving.open(dialling.sending.seal(ping)) == ping)
            let pong = Array("from the responder \(round)".utf8)
            #expect(try dialling.receiving.open(answering.sending.seal(pong)) == pong)
        }
    }

    @Test func aHandshakeWithANodeByItselfWorks() throws {
        // A node that dials its own address proves its identity to itself; whether to go on is the caller's call.
        let (initiator, responder, _) = try Nodes.handshake(Nodes.other, Nodes.other)
        #expect(initiator.peer == Nodes.other.publicKey && responder.peer == Nodes.other.publicKey)
    }

    @Test func neitherIdTravelsInClear() throws {
        let (_, _, messages) = try Nodes.handshake()
        for (index, message) in messages.enumerated() {
            #expect(!Self.contains(message, Nodes.initiator.publicKey.bytes), "message \(index + 1)")
            #expect(!Self.contains(message, Nodes.responder.publicKey.bytes), "message \(index + 1)")
        }
    }

    @Test func everyHandshakeHasNewKeys() throws {
        let first = try Nodes.handshake()
        let second = try Nodes.handshake()
        #expect(first.messages[0] != second.messages[0])
        #expect(first.messages[1] != second.messages[1])
        var sender = first.initiator.sending
        var stranger = second.responder.receiving
        #expect(throws: CryptoError.self) { try stranger.open(sender.seal([0x01])) }
    }

    // MARK: A man in the middle

    @Test func aManInTheMiddleWhoSubstitutesItsKeyInTheHelloIsRefused() throws {
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let mallory = try EphemeralKeyPair.generate()
        let reply = try answering.reply(to: Self.hello(mallory))
        // The responder's proof is sealed under keys the initiator does not have.
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: reply) } == .untrusted)
    }

    @Test func aManInTheMiddleWhoSubstitutesItsKeyInTheReplyIsRefused() throws {
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let reply = try answering.reply(to: dialling.hello)
        let mallory = try EphemeralKeyPair.generate()
        let substituted = Array(reply[0..<10]) + mallory.publicKey + Array(reply[42...])
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: substituted) } == .untrusted)
    }

    @Test func aManInTheMiddleWhoResealsTheRespondersProofIsRefused() throws {
        // Mallory runs one handshake with each side, with a key of its own towards each, and passes the
        // responder's proof on under the keys it shares with the initiator: the signature names Mallory's
        // key, not the initiator's.
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let towardsInitiator = try EphemeralKeyPair.generate()
        let towardsResponder = try EphemeralKeyPair.generate()
        let hello = dialling.hello
        let genuine = try answering.reply(to: Self.hello(towardsResponder))
        var opening = ChannelCipher(
            key: try SessionKeys.initiator(towardsResponder, responderKey: Array(genuine[10..<42])).receiving)
        let proof = try opening.open(Array(genuine[42...]))
        #expect(Array(proof[0..<32]) == Nodes.responder.publicKey.bytes)
        var resealing = ChannelCipher(
            key: try SessionKeys.responder(towardsInitiator, initiatorKey: Array(hello[10...])).sending)
        let forged = Self.magic + [0, 1] + towardsInitiator.publicKey + resealing.seal(proof)
        let error = Nodes.error { () throws(SyncError) in try dialling.finish(reply: forged) }
        #expect(error?.code == .untrusted)
        #expect(error?.message.contains("did not prove") == true)
    }

    @Test func aProofCarriedOverFromAnotherConnectionIsRefused() throws {
        // The initiator dials Mallory, a node with an identity of its own; Mallory then dials the responder
        // and presents the initiator's proof (which it can open) as its own confirmation.
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        let mallorysKey = try EphemeralKeyPair.generate()
        let hello = dialling.hello
        let mallorysReply = try Self.reply(
            to: hello, ephemeral: mallorysKey, claimed: Nodes.other.publicKey, signer: Nodes.other,
            statement: Self.responderStatement(Array(hello[10...]), mallorysKey.publicKey, Nodes.other.publicKey))
        let (confirmation, result) = try dialling.finish(reply: mallorysReply)
        #expect(result.peer == Nodes.other.publicKey)
        var opening = ChannelCipher(
            key: try SessionKeys.responder(mallorysKey, initiatorKey: Array(hello[10...])).receiving)
        let initiatorsProof = try opening.open(confirmation)

        var answering = try ResponderHandshake(identity: Nodes.responder)
        let onward = try EphemeralKeyPair.generate()
        let reply = try answering.reply(to: Self.hello(onward))
        var sealing = ChannelCipher(key: try SessionKeys.initiator(onward, responderKey: Array(reply[10..<42])).sending)
        let carried = sealing.seal(initiatorsProof)
        #expect(Nodes.code { () throws(SyncError) in try answering.finish(confirmation: carried) } == .untrusted)
    }

    @Test func everyAlteredByteOfTheReplyIsRefused() throws {
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let reply = try answering.reply(to: dialling.hello)
        for position in reply.indices {
            var altered = reply
            altered[position] ^= 0x20
            let expected: SyncError.Code = position < 8 ? .malformed : position < 10 ? .unsupportedVersion : .untrusted
            #expect(
                Nodes.code { () throws(SyncError) in try dialling.finish(reply: altered) } == expected,
                "byte \(position)")
        }
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: reply) } == nil)
    }

    @Test func everyAlteredByteOfTheConfirmationIsRefused() throws {
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let (confirmation, _) = try dialling.finish(reply: try answering.reply(to: dialling.hello))
        for position in confirmation.indices {
            var altered = confirmation
            altered[position] ^= 0x20
            #expect(
                Nodes.code { () throws(SyncError) in try answering.finish(confirmation: altered) } == .untrusted,
                "byte \(position)")
        }
        #expect(try answering.finish(confirmation: confirmation).peer == Nodes.initiator.publicKey)
    }

    // MARK: Replays

    @Test func aConfirmationReplayedAgainstANewResponderIsRefused() throws {
        let (_, _, recorded) = try Nodes.handshake()
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let fresh = try answering.reply(to: recorded[0])
        #expect(fresh != recorded[1])
        #expect(Nodes.code { () throws(SyncError) in try answering.finish(confirmation: recorded[2]) } == .untrusted)
    }

    @Test func aReplyReplayedToANewInitiatorIsRefused() throws {
        let (_, _, recorded) = try Nodes.handshake()
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: recorded[1]) } == .untrusted)
    }

    // MARK: Proofs that do not prove

    @Test func aReplySignedByAnotherIdentityThanItClaimsIsRefused() throws {
        let ephemeral = try EphemeralKeyPair.generate()
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        let hello = dialling.hello
        let initiatorKey = Array(hello[10...])
        let responderID = Nodes.responder.publicKey
        let genuine = Self.responderStatement(initiatorKey, ephemeral.publicKey, responderID)
        func finish(claimed: NodeID, signer: SigningKeyPair, statement: [UInt8]) throws -> SyncError.Code? {
            let reply = try Self.reply(
                to: hello, ephemeral: ephemeral, claimed: claimed, signer: signer, statement: statement)
            return Nodes.code { () throws(SyncError) in try dialling.finish(reply: reply) }
        }
        // Made by hand the right way, the reply is accepted: what follows fails for its one difference.
        #expect(try finish(claimed: responderID, signer: Nodes.responder, statement: genuine) == nil)
        // Claims R, signed by O; claims O, signed by R.
        #expect(try finish(claimed: responderID, signer: Nodes.other, statement: genuine) == .untrusted)
        let claimingOther = Self.responderStatement(initiatorKey, ephemeral.publicKey, Nodes.other.publicKey)
        #expect(
            try finish(claimed: Nodes.other.publicKey, signer: Nodes.responder, statement: claimingOther) == .untrusted)
        // Signed by R, but over another initiator key, or as an initiator's statement.
        let elsewhere = Self.responderStatement(Random.bytes(32), ephemeral.publicKey, responderID)
        #expect(try finish(claimed: responderID, signer: Nodes.responder, statement: elsewhere) == .untrusted)
        let asInitiator = Self.initiatorStatement(initiatorKey, ephemeral.publicKey, responderID, responderID)
        #expect(try finish(claimed: responderID, signer: Nodes.responder, statement: asInitiator) == .untrusted)
    }

    @Test func aConfirmationSignedByAnotherIdentityThanItClaimsIsRefused() throws {
        let ephemeral = try EphemeralKeyPair.generate()
        let hello = Self.hello(ephemeral)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let reply = try answering.reply(to: hello)
        let responderKey = Array(reply[10..<42])
        let (initiatorID, responderID) = (Nodes.initiator.publicKey, Nodes.responder.publicKey)
        let genuine = Self.initiatorStatement(ephemeral.publicKey, responderKey, initiatorID, responderID)
        func finish(claimed: NodeID, signer: SigningKeyPair, statement: [UInt8]) throws -> SyncError.Code? {
            let confirmation = try Self.confirmation(
                of: reply, ephemeral: ephemeral, claimed: claimed, signer: signer, statement: statement)
            return Nodes.code { () throws(SyncError) in try answering.finish(confirmation: confirmation) }
        }
        #expect(try finish(claimed: initiatorID, signer: Nodes.initiator, statement: genuine) == nil)
        #expect(try finish(claimed: initiatorID, signer: Nodes.other, statement: genuine) == .untrusted)
        let claimingOther = Self.initiatorStatement(
            ephemeral.publicKey, responderKey, Nodes.other.publicKey, responderID)
        #expect(
            try finish(claimed: Nodes.other.publicKey, signer: Nodes.initiator, statement: claimingOther) == .untrusted)
        // Signed by I for a connection to another responder: R refuses to be taken for it.
        let toAnother = Self.initiatorStatement(ephemeral.publicKey, responderKey, initiatorID, Nodes.other.publicKey)
        #expect(try finish(claimed: initiatorID, signer: Nodes.initiator, statement: toAnother) == .untrusted)
        // A responder's statement is never an initiator's.
        let asResponder = Self.responderStatement(ephemeral.publicKey, responderKey, initiatorID)
        #expect(try finish(claimed: initiatorID, signer: Nodes.initiator, statement: asResponder) == .untrusted)
    }

    @Test func aLowOrderEphemeralKeyIsRefused() throws {
        let zero = [UInt8](repeating: 0, count: 32)
        var answering = try ResponderHandshake(identity: Nodes.responder)
        #expect(
            Nodes.code { () throws(SyncError) in try answering.reply(to: Self.magic + [0, 1] + zero) } == .malformed)
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        let reply = try answering.reply(to: dialling.hello)
        let lowOrder = Array(reply[0..<10]) + zero + Array(reply[42...])
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: lowOrder) } == .untrusted)
    }

    // MARK: Other protocols, other versions, other lengths

    @Test func bytesThatAreNotTheProtocolAreMalformed() throws {
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        var wrongMagic = dialling.hello
        wrongMagic[7] = UInt8(ascii: "B")  // a bundle's magic, WAYPOSTB
        #expect(Nodes.code { () throws(SyncError) in try answering.reply(to: wrongMagic) } == .malformed)
        let http = Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
        #expect(Nodes.code { () throws(SyncError) in try answering.reply(to: http) } == .malformed)
        let reply = try answering.reply(to: dialling.hello)
        var badReply = reply
        badReply[0] = UInt8(ascii: "w")
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: badReply) } == .malformed)
    }

    @Test func anInitiatorOfAnotherVersionIsToldWhichSideToUpdate() throws {
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let ephemeral = try EphemeralKeyPair.generate()
        // A newer initiator, whose hello may well be longer: the version is read before the length.
        for hello in [
            Self.hello(ephemeral, version: [0, 2]), Self.hello(ephemeral, version: [0, 2]) + Random.bytes(40),
        ] {
            let error = Nodes.error { () throws(SyncError) in try answering.reply(to: hello) }
            #expect(error?.code == .unsupportedVersion)
            #expect(error?.message.contains("version 2") == true)
            #expect(error?.message.contains("update Waypost on this node") == true)
        }
        let older = Nodes.error { () throws(SyncError) in
            try answering.reply(to: Self.hello(ephemeral, version: [0, 0]))
        }
        #expect(older?.code == .unsupportedVersion)
        #expect(older?.message.contains("update Waypost on the peer") == true)
    }

    @Test func aVersionNoticeTellsTheInitiatorWhichSideToUpdate() throws {
        #expect(Handshake.versionNotice == Self.magic + [0x00, 0x01])
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        let newer = Nodes.error { () throws(SyncError) in try dialling.finish(reply: Self.magic + [0x01, 0x00]) }
        #expect(newer?.code == .unsupportedVersion)
        #expect(newer?.message.contains("version 256") == true)
        #expect(newer?.message.contains("update Waypost on this node") == true)
        let older = Nodes.error { () throws(SyncError) in try dialling.finish(reply: Self.magic + [0x00, 0x00]) }
        #expect(older?.code == .unsupportedVersion)
        #expect(older?.message.contains("update Waypost on the peer") == true)
        // The notice of this very version is not a reply: it is cut short.
        #expect(
            Nodes.code { () throws(SyncError) in try dialling.finish(reply: Handshake.versionNotice) } == .malformed)
    }

    @Test func messagesOfTheWrongLengthAreRefused() throws {
        var answering = try ResponderHandshake(identity: Nodes.responder)
        let dialling = try InitiatorHandshake(identity: Nodes.initiator)
        let hello = dialling.hello
        for length in [0, 7, 9, 10, 41] {
            #expect(
                Nodes.code { () throws(SyncError) in try answering.reply(to: Array(hello.prefix(length))) }
                    == .malformed)
        }
        #expect(Nodes.code { () throws(SyncError) in try answering.reply(to: hello + [0]) } == .malformed)
        #expect(Nodes.code { () throws(SyncError) in try answering.reply(to: hello + Random.bytes(470)) } == .malformed)

        let reply = try answering.reply(to: hello)
        for length in [0, 10, 42, 43, 153] {
            #expect(
                Nodes.code { () throws(SyncError) in try dialling.finish(reply: Array(reply.prefix(length))) }
                    == .malformed)
        }
        #expect(Nodes.code { () throws(SyncError) in try dialling.finish(reply: reply + [0]) } == .malformed)

        let (confirmation, _) = try dialling.finish(reply: reply)
        for altered in [[], Array(confirmation.prefix(16)), Array(confirmation.dropLast()), confirmation + [0]] {
            #expect(Nodes.code { () throws(SyncError) in try answering.finish(confirmation: altered) } == .malformed)
        }
        #expect(try answering.finish(confirmation: confirmation).peer == Nodes.initiator.publicKey)
    }

    @Test func aConfirmationBeforeAnyHelloIsMalformed() throws {
        let (_, _, recorded) = try Nodes.handshake()
        let answering = try ResponderHandshake(identity: Nodes.responder)
        #expect(Nodes.code { () throws(SyncError) in try answering.finish(confirmation: recorded[2]) } == .malformed)
    }
}
