import Testing
import WaypostCrypto

/// One direction of the encrypted channel (`Protocol/sync.md` §2): what one side seals as its n-th message
/// the other opens as its n-th, and nothing else.
@Suite struct ChannelCipherTests {
    /// The two ends of one direction: both hold the same key and count from zero.
    static func direction(key: [UInt8] = Random.bytes(SessionKeys.keyByteCount)) -> (
        sender: ChannelCipher, receiver: ChannelCipher
    ) {
        let secret = SecretBytes(key)
        return (ChannelCipher(key: secret), ChannelCipher(key: secret))
    }

    /// The code of the ``CryptoError`` that opening `ciphertext` throws, or nil if it opens.
    static func code(_ receiver: inout ChannelCipher, _ ciphertext: [UInt8]) -> CryptoError.Code? {
        do {
            _ = try receiver.open(ciphertext)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func messagesRoundTripInOrderAndTheCountersMoveTogether() throws {
        var (sender, receiver) = Self.direction()
        let sizes = [0, 1, 15, 16, 17, 1000, 65536]
        for (index, size) in sizes.enumerated() {
            let plaintext = Random.bytes(size)
            let sealed = sender.seal(plaintext)
            #expect(sealed.count == size + ChannelCipher.overhead, "size \(size)")
            #expect(sender.counter == UInt64(index + 1))
            #expect(try receiver.open(sealed) == plaintext, "size \(size)")
            #expect(receiver.counter == UInt64(index + 1))
        }
    }

    @Test func theSameMessageSealsDifferentlyEachTime() throws {
        // Each message has its own nonce, so equal plaintexts do not show as equal ciphertexts.
        var (sender, receiver) = Self.direction()
        let keepalive: [UInt8] = [0x14]
        let first = sender.seal(keepalive)
        let second = sender.seal(keepalive)
        #expect(first != second)
        #expect(try receiver.open(first) == keepalive)
        #expect(try receiver.open(second) == keepalive)
    }

    @Test func everyTamperedByteIsRefusedAndTheCounterDoesNotMove() throws {
        var (sender, receiver) = Self.direction()
        let plaintext = Array("batch 1".utf8)
        let sealed = sender.seal(plaintext)
        for position in sealed.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = sealed
                tampered[position] ^= flip
                #expect(Self.code(&receiver, tampered) == .authenticationFailed, "byte \(position) ^ \(flip)")
                #expect(receiver.counter == 0)
            }
        }
        // The refusals left the receiver where it was: the genuine message still opens.
        #expect(try receiver.open(sealed) == plaintext)
        #expect(receiver.counter == 1)
    }

    @Test func aReplayedMessageIsRefused() throws {
        var (sender, receiver) = Self.direction()
        let first = sender.seal([0x01])
        let second = sender.seal([0x13])
        #expect(try receiver.open(first) == [0x01])
        #expect(Self.code(&receiver, first) == .authenticationFailed)
        #expect(receiver.counter == 1)
        #expect(try receiver.open(second) == [0x13])
        #expect(Self.code(&receiver, second) == .authenticationFailed)
        #expect(Self.code(&receiver, first) == .authenticationFailed)
        #expect(receiver.counter == 2)
    }

    @Test func reorderedOrDroppedMessagesAreRefused() throws {
        var (sender, receiver) = Self.direction()
        let messages = (0..<3).map { sender.seal([UInt8($0)]) }
        // Message 1 before message 0 (or with message 0 dropped), then message 2 before message 1.
        #expect(Self.code(&receiver, messages[1]) == .authenticationFailed)
        #expect(Self.code(&receiver, messages[2]) == .authenticationFailed)
        #expect(receiver.counter == 0)
        #expect(try receiver.open(messages[0]) == [0])
        #expect(Self.code(&receiver, messages[2]) == .authenticationFailed)
        #expect(receiver.counter == 1)
        #expect(try receiver.open(messages[1]) == [1])
        #expect(try receiver.open(messages[2]) == [2])
    }

    @Test func truncatedOrExtendedMessagesAreRefused() throws {
        var (sender, receiver) = Self.direction()
        let sealed = sender.seal(Random.bytes(40))
        for cut in 0..<sealed.count {
            let code = Self.code(&receiver, Array(sealed.prefix(cut)))
            // Shorter than the tag is `truncated` before any decryption; longer cuts fail the tag.
            #expect(code == (cut < ChannelCipher.overhead ? .truncated : .authenticationFailed), "cut at \(cut)")
            #expect(receiver.counter == 0)
        }
        #expect(Self.code(&receiver, sealed + [0]) == .authenticationFailed)
        #expect(Self.code(&receiver, [0] + sealed) == .authenticationFailed)
        #expect(receiver.counter == 0)
        #expect(Self.code(&receiver, sealed) == nil)
    }

    @Test func aMessageSealedUnderAnotherKeyIsRefused() throws {
        var (sender, _) = Self.direction()
        var (_, stranger) = Self.direction()
        let sealed = sender.seal(Array("versions".utf8))
        #expect(Self.code(&stranger, sealed) == .authenticationFailed)
        #expect(stranger.counter == 0)
        // A key that differs in one bit is another key.
        var key = Random.bytes(SessionKeys.keyByteCount)
        var (near, _) = Self.direction(key: key)
        key[0] ^= 1
        var (_, far) = Self.direction(key: key)
        #expect(Self.code(&far, near.seal([0x01])) == .authenticationFailed)
    }
}
