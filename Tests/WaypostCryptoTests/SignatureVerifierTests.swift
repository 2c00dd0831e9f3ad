import Testing
import WaypostCore
import WaypostCrypto

@Suite struct SignatureVerifierTests {
    let pair: SigningKeyPair
    let message = Array("waypost change 42: given_name = Amina".utf8)
    let signature: [UInt8]

    init() throws {
        pair = try SigningKeyPair(seed: [UInt8](repeating: 0x5A, count: 32))
        signature = pair.sign(message)
    }

    @Test func acceptsTheSignature() {
        #expect(SignatureVerifier.isValid(signature, of: message, by: pair.publicKey))
    }

    @Test func rejectsEveryFlippedBitOfTheMessage() {
        for bit in 0..<(message.count * 8) {
            var changed = message
            changed[bit / 8] ^= 1 << (bit % 8)
            #expect(!SignatureVerifier.isValid(signature, of: changed, by: pair.publicKey), "bit \(bit)")
        }
    }

    @Test func rejectsEveryFlippedBitOfTheSignature() {
        for bit in 0..<(signature.count * 8) {
            var changed = signature
            changed[bit / 8] ^= 1 << (bit % 8)
            #expect(!SignatureVerifier.isValid(changed, of: message, by: pair.publicKey), "bit \(bit)")
        }
    }

    @Test func rejectsEveryFlippedBitOfTheKey() {
        for bit in 0..<(NodeID.byteCount * 8) {
            var changed = pair.publicKey.bytes
            changed[bit / 8] ^= 1 << (bit % 8)
            #expect(!SignatureVerifier.isValid(signature, of: message, by: NodeID(bytes: changed)), "bit \(bit)")
        }
    }

    @Test func rejectsAnotherNodesKeyAndOtherMessages() throws {
        let other = try SigningKeyPair.generate()
        #expect(!SignatureVerifier.isValid(signature, of: message, by: other.publicKey))
        #expect(!SignatureVerifier.isValid(signature, of: [], by: pair.publicKey))
        #expect(!SignatureVerifier.isValid(signature, of: message + [0], by: pair.publicKey))
    }

    @Test func wrongSizesAreInvalidNotFatal() {
        for signature in [[], Array(signature.dropLast()), signature + [0], [UInt8](repeating: 0, count: 128)] {
            #expect(!SignatureVerifier.isValid(signature, of: message, by: pair.publicKey))
        }
    }

    @Test func theAllZeroKeyAndSignatureAreRejected() {
        // A small-order key with an all-zero signature is the classic forgery libsodium refuses.
        let zeroKey = NodeID(bytes: [UInt8](repeating: 0, count: 32))
        #expect(!SignatureVerifier.isValid([UInt8](repeating: 0, count: 64), of: message, by: zeroKey))
    }
}
