import Testing
import WaypostTesting
import WaypostCrypto

/// The keys of one connection (`Protocol/sync.md` §2): `crypto_kx` between two fresh X25519 key pairs.
@Suite struct SessionKeysTests {
    static func malformedKeyCode(_ body: () throws(CryptoError) -> SessionKeys) -> CryptoError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func eachSideSendsWithTheKeyTheOtherReceivesWith() throws {
        let initiator = try EphemeralKeyPair.generate()
        let responder = try EphemeralKeyPair.generate()
        let dialling = try SessionKeys.initiator(initiator, responderKey: responder.publicKey)
        let answering = try SessionKeys.responder(responder, initiatorKey: initiator.publicKey)
        #expect(dialling.sending.bytes == answering.receiving.bytes)
        #expect(dialling.receiving.bytes == answering.sending.bytes)
        // Two directions, two keys: a message cannot be reflected back to its sender.
        #expect(dialling.sending.bytes != dialling.receiving.bytes)
        #expect(
            dialling.sending.count == SessionKeys.keyByteCount && dialling.receiving.count == SessionKeys.keyByteCount)

        var out = ChannelCipher(key: dialling.sending)
        var into = ChannelCipher(key: answering.receiving)
        #expect(try into.open(out.seal([0x10, 0x00])) == [0x10, 0x00])
        var back = ChannelCipher(key: answering.sending)
        var home = ChannelCipher(key: dialling.receiving)
        #expect(try home.open(back.seal([0x01])) == [0x01])
        var reflected = ChannelCipher(key: dialling.receiving)
        #expect(throws: CryptoError.self) { try reflected.open(ChannelCipher(key: dialling.sending).sealing([0x01])) }
    }

    @Test func differentConnectionsGetDifferentKeys() throws {
        let responder = try EphemeralKeyPair.generate()
        var seen: Set<[UInt8]> = []
        for _ in 0..<8 {
            let initiator = try EphemeralKeyPair.generate()
            let keys = try SessionKeys.initiator(initiator, responderKey: responder.publicKey)
            seen.insert(keys.sending.bytes)
            seen.insert(keys.receiving.bytes)
        }
        #expect(seen.count == 16)
        // The same initiator key against another responder key gives other keys too.
        let initiator = try EphemeralKeyPair.generate()
        let first = try SessionKeys.initiator(initiator, responderKey: responder.publicKey)
        let second = try SessionKeys.initiator(initiator, responderKey: try EphemeralKeyPair.generate().publicKey)
        #expect(first.sending.bytes != second.sending.bytes && first.receiving.bytes != second.receiving.bytes)
    }

    @Test func theSameKeyPairsGiveTheSameKeys() throws {
        // Deterministic from the two key pairs (crypto_kx), which is what lets the test vectors pin them.
        let initiator = try EphemeralKeyPair(seed: Array(repeating: 0xA0, count: 32))
        let responder = try EphemeralKeyPair(seed: Array(repeating: 0xC0, count: 32))
        let once = try SessionKeys.initiator(initiator, responderKey: responder.publicKey)
        let again = try SessionKeys.initiator(initiator, responderKey: responder.publicKey)
        #expect(once.sending.bytes == again.sending.bytes && once.receiving.bytes == again.receiving.bytes)
    }

    @Test(arguments: [0, 1, 31, 33, 64])
    func aKeyOfTheWrongLengthIsRefused(length: Int) throws {
        let own = try EphemeralKeyPair.generate()
        let key = Random.bytes(length)
        #expect(
            Self.malformedKeyCode { () throws(CryptoError) in try SessionKeys.initiator(own, responderKey: key) }
                == .malformedKey)
        #expect(
            Self.malformedKeyCode { () throws(CryptoError) in try SessionKeys.responder(own, initiatorKey: key) }
                == .malformedKey)
    }

    @Test func aLowOrderKeyIsRefused() throws {
        // Points whose product with any clamped scalar is zero (RFC 7748 §6.1: check for the all-zero
        // output): 0, 1, and a point of order 8. A side that accepted one would use a key its peer chose.
        let lowOrder: [[UInt8]] = [
            Array(repeating: 0, count: 32),
            [1] + Array(repeating: 0, count: 31),
            try ProtocolFiles.hexBytes("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ]
        let own = try EphemeralKeyPair.generate()
        for key in lowOrder {
            #expect(
                Self.malformedKeyCode { () throws(CryptoError) in try SessionKeys.initiator(own, responderKey: key) }
                    == .malformedKey)
            #expect(
                Self.malformedKeyCode { () throws(CryptoError) in try SessionKeys.responder(own, initiatorKey: key) }
                    == .malformedKey)
        }
    }

    @Test func ephemeralKeyPairsAreNewEachTimeOrFollowTheirSeed() throws {
        #expect(try EphemeralKeyPair.generate().publicKey != (try EphemeralKeyPair.generate().publicKey))
        let seed = Random.bytes(32)
        let pair = try EphemeralKeyPair(seed: seed)
        #expect(pair.publicKey.count == EphemeralKeyPair.publicKeyByteCount)
        #expect(pair.publicKey == (try EphemeralKeyPair(seed: seed).publicKey))
        #expect(throws: CryptoError.self) { try EphemeralKeyPair(seed: Random.bytes(31)) }
        #expect(throws: CryptoError.self) { try EphemeralKeyPair(seed: Random.bytes(33)) }
    }
}

extension ChannelCipher {
    /// Seals `plaintext` as this cipher's next message, without keeping the cipher.
    func sealing(_ plaintext: [UInt8]) -> [UInt8] {
        var copy = self
        return copy.seal(plaintext)
    }
}
