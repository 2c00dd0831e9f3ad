import Testing
import WaypostCore
import WaypostCrypto

@Suite struct SealedBoxTests {
    let recipient: SigningKeyPair
    let other: SigningKeyPair

    init() throws {
        recipient = try SigningKeyPair.generate()
        other = try SigningKeyPair.generate()
    }

    @Test func roundTrips() throws {
        for plaintext in [[], [0x42], Array("a new trust key for node k7f3".utf8), Random.bytes(100_000)] {
            let sealed = try SealedBox.seal(plaintext, to: recipient.publicKey)
            #expect(sealed.count == plaintext.count + SealedBox.overhead)
            #expect(try SealedBox.open(sealed, with: recipient) == plaintext)
        }
    }

    @Test func sealingTwiceGivesDifferentBytes() throws {
        let plaintext = Array("same message".utf8)
        #expect(
            try SealedBox.seal(plaintext, to: recipient.publicKey) != SealedBox.seal(plaintext, to: recipient.publicKey)
        )
    }

    @Test func anotherNodeCannotOpen() throws {
        let sealed = try SealedBox.seal(Array("for the recipient only".utf8), to: recipient.publicKey)
        let error = #expect(throws: CryptoError.self) { try SealedBox.open(sealed, with: other) }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func everyFlippedByteIsRefused() throws {
        let sealed = try SealedBox.seal(Array("sixteen bytes!!!".utf8), to: recipient.publicKey)
        for position in sealed.indices {
            var changed = sealed
            changed[position] ^= 0x80
            let error = #expect(throws: CryptoError.self) { try SealedBox.open(changed, with: recipient) }
            #expect(error?.code == .authenticationFailed, "byte \(position)")
        }
    }

    @Test func tooShortIsMalformed() throws {
        let sealed = try SealedBox.seal([], to: recipient.publicKey)
        for count in [0, 1, SealedBox.overhead - 1] {
            let error = #expect(throws: CryptoError.self) {
                try SealedBox.open(Array(sealed.prefix(count)), with: recipient)
            }
            #expect(error?.code == .malformed)
        }
        let cut = try SealedBox.seal([1, 2, 3], to: recipient.publicKey).dropLast()
        let error = #expect(throws: CryptoError.self) { try SealedBox.open(Array(cut), with: recipient) }
        #expect(error?.code == .authenticationFailed)
    }

    @Test func anIdThatIsNotAPublicKeyIsRefused() {
        // All zeros decodes to a point of order 4: no secret key stands behind it.
        let error = #expect(throws: CryptoError.self) {
            try SealedBox.seal([1], to: NodeID(bytes: [UInt8](repeating: 0, count: 32)))
        }
        #expect(error?.code == .malformedKey)
    }
}
