import Testing
import WaypostCore
import WaypostCrypto

@Suite struct SigningKeyPairTests {
    struct Vector {
        let seed: [UInt8]
        let publicKey: [UInt8]
        let message: [UInt8]
        let signature: [UInt8]
    }

    static func vectors() throws -> [Vector] {
        try ProtocolVectors.records("ed25519.txt").map { fields in
            #expect(fields.count == 4)
            return Vector(
                seed: Hex.bytes(fields[0]), publicKey: Hex.bytes(fields[1]), message: Hex.bytes(fields[2]),
                signature: Hex.bytes(fields[3]))
        }
    }

    @Test func rfc8032VectorsFromTheSeed() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count == 3)
        for vector in vectors {
            let pair = try SigningKeyPair(seed: vector.seed)
            #expect(pair.publicKey.bytes == vector.publicKey)
            #expect(pair.secretKeyBytes == vector.seed + vector.publicKey)
            #expect(pair.sign(vector.message) == vector.signature)
            #expect(SignatureVerifier.isValid(vector.signature, of: vector.message, by: pair.publicKey))
        }
    }

    @Test func rfc8032Test1IsTheEmptyMessage() throws {
        let first = try #require(try Self.vectors().first)
        #expect(first.message.isEmpty)
        #expect(Hex.string(first.seed).hasPrefix("9d61b19d"))
        #expect(Hex.string(first.publicKey).hasPrefix("d75a9801"))
        #expect(Hex.string(first.signature).hasPrefix("e5564300"))
    }

    @Test func aGeneratedKeyRoundTripsThroughItsSecretKeyBytes() throws {
        let pair = try SigningKeyPair.generate()
        let reopened = try SigningKeyPair(secretKey: pair.secretKeyBytes)
        #expect(reopened.publicKey == pair.publicKey)
        let message = Array("case k7f3-m2q4: seen at the clinic".utf8)
        #expect(SignatureVerifier.isValid(reopened.sign(message), of: message, by: pair.publicKey))
        #expect(try SigningKeyPair.generate().publicKey != pair.publicKey)
    }

    @Test func aSecretKeyWhoseHalvesDisagreeIsRefused() throws {
        let bytes = try SigningKeyPair.generate().secretKeyBytes
        for position in [0, 31, 32, 63] {
            var damaged = bytes
            damaged[position] ^= 0x01
            let error = #expect(throws: CryptoError.self) { try SigningKeyPair(secretKey: damaged) }
            #expect(error?.code == .malformedKey)
        }
    }

    @Test func wrongSizesAreRefused() {
        for count in [0, 31, 33] {
            let error = #expect(throws: CryptoError.self) {
                try SigningKeyPair(seed: [UInt8](repeating: 7, count: count))
            }
            #expect(error?.code == .malformedKey)
        }
        for count in [0, 32, 63, 65] {
            let error = #expect(throws: CryptoError.self) {
                try SigningKeyPair(secretKey: [UInt8](repeating: 7, count: count))
            }
            #expect(error?.code == .malformedKey)
        }
    }

    @Test func signingIsDeterministic() throws {
        let pair = try SigningKeyPair.generate()
        let message = Random.bytes(1000)
        #expect(pair.sign(message) == pair.sign(message))
        #expect(pair.sign(message).count == 64)
    }
}
