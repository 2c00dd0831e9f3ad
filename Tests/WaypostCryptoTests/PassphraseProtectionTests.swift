import Foundation
import Testing
import WaypostCore

@testable import WaypostCrypto

@Suite struct PassphraseProtectionTests {
    let pair: SigningKeyPair
    let passphrase = "correct horse battery staple"

    init() throws {
        pair = try SigningKeyPair.generate()
    }

    static func code(_ body: () throws(CryptoError) -> SecretBytes) -> CryptoError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    static func bytes(_ secret: SecretBytes) -> [UInt8] { secret.withUnsafeBytes { Array($0) } }

    @Test("a key file records its limits; new ones are sealed with libsodium's moderate limits unless told otherwise")
    func limitsAreRecorded() throws {
        let fast = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        #expect(PassphraseProtection.limits(of: fast) == .minimum)
        #expect(PassphraseProtection.limits(of: try PassphraseProtection.seal(pair.secretKey, passphrase: nil)) == nil)
        let sealed = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase)
        #expect(PassphraseProtection.limits(of: sealed) == .moderate)
        #expect(Array(sealed[7..<23]) == [0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0x10, 0, 0, 0])
        #expect(Self.bytes(try PassphraseProtection.open(sealed) { passphrase }) == Self.bytes(pair.secretKey))
    }

    @Test func roundTripsUnderAPassphrase() throws {
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        #expect(blob.count == 143)
        #expect(PassphraseProtection.isProtected(blob))
        #expect(
            !blob.indices.contains { index in
                index + 64 <= blob.count && Array(blob[index..<(index + 64)]) == pair.secretKeyBytes
            })
        var asked = 0
        let secret = try PassphraseProtection.open(blob) { () throws(CryptoError) in
            asked += 1
            return passphrase
        }
        #expect(asked == 1)
        #expect(Self.bytes(secret) == pair.secretKeyBytes)
        #expect(try SigningKeyPair(secretKey: Self.bytes(secret)).publicKey == pair.publicKey)
    }

    @Test func aWrongPassphraseIsRefused() throws {
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        for wrong in ["correct horse battery stapl", "Correct horse battery staple", "x"] {
            let error = #expect(throws: CryptoError.self) {
                try PassphraseProtection.open(blob) { () throws(CryptoError) in wrong }
            }
            #expect(error?.code == .wrongPassphrase)
            #expect(error?.message.hasPrefix("wrong passphrase") == true)
            #expect(error?.message.contains("nothing was changed") == true)
        }
    }

    @Test func plainModeDoesNotAskForAPassphrase() throws {
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: nil)
        #expect(blob.count == 71)
        #expect(Array(blob.prefix(7)) == Array("WPKEY".utf8) + [1, 0])
        #expect(!PassphraseProtection.isProtected(blob))
        let secret = try PassphraseProtection.open(blob) { () throws(CryptoError) in
            Issue.record("the passphrase was asked for a plain key file")
            return ""
        }
        #expect(Self.bytes(secret) == pair.secretKeyBytes)
    }

    @Test func theClosuresErrorIsPassedOn() throws {
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        let error = #expect(throws: CryptoError.self) {
            try PassphraseProtection.open(blob) { () throws(CryptoError) in
                throw CryptoError(.cancelled, "cancelled")
            }
        }
        #expect(error?.code == .cancelled)
    }

    @Test func aDamagedBlobIsRefused() throws {
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        let plain = try PassphraseProtection.seal(pair.secretKey, passphrase: nil)
        let open = { (bytes: [UInt8]) in
            Self.code { () throws(CryptoError) in
                try PassphraseProtection.open(bytes) { () throws(CryptoError) in passphrase }
            }
        }
        // Cut short anywhere, or with a byte too many.
        for candidate in [blob, plain] {
            for count in 0..<candidate.count { #expect(open(Array(candidate.prefix(count))) == .malformed) }
            #expect(open(candidate + [0]) == .malformed)
        }
        // Not a key file at all: a bare 64-byte secret key as older nodes stored it.
        #expect(open(pair.secretKeyBytes) == .malformed)
        var mode = blob
        mode[6] = 2
        #expect(open(mode) == .malformed)
        var version = blob
        version[5] = 2
        #expect(open(version) == .unsupportedVersion)
        // Every flipped byte of the protected file is refused, whichever part it hits.
        for position in blob.indices {
            var changed = blob
            changed[position] ^= 0x01
            let code = open(changed)
            switch position {
            case 0..<5, 6: #expect(code == .malformed, "byte \(position)")
            case 5: #expect(code == .unsupportedVersion)
            default: #expect(code == .wrongPassphrase || code == .malformed, "byte \(position)")
            }
        }
    }

    @Test(
        arguments: [
            [1, UInt64.max], [1, 1 << 40], [1, 1 << 30 + 1], [1_000_000, 8192], [5, 8192], [0, 8192], [1, 0],
            [UInt64.max, UInt64.max],
        ] as [[UInt64]])
    func hostileLimitsAreRefusedBeforeAskingOrAllocating(pair limits: [UInt64]) throws {
        var blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        blob.replaceSubrange(7..<23, with: Self.bigEndian(limits[0]) + Self.bigEndian(limits[1]))
        let error = #expect(throws: CryptoError.self) {
            try PassphraseProtection.open(blob) { () throws(CryptoError) in
                Issue.record("the passphrase was asked for before the limits were checked")
                return passphrase
            }
        }
        #expect(error?.code == .malformed)
    }

    @Test func theLimitsAreRecordedAndUsed() throws {
        let limits = PassphraseLimits(opslimit: 2, memlimit: 16384)
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: limits)
        #expect(Array(blob[7..<15]) == Self.bigEndian(2))
        #expect(Array(blob[15..<23]) == Self.bigEndian(16384))
        let secret = try PassphraseProtection.open(blob) { () throws(CryptoError) in passphrase }
        #expect(Self.bytes(secret) == pair.secretKeyBytes)
    }

    @Test func thePassphraseIsNormalisedToNFC() throws {
        let composed = "Caf\u{E9} in Zaatari"
        let decomposed = "Cafe\u{301} in Zaatari"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let blob = try PassphraseProtection.seal(pair.secretKey, passphrase: decomposed, limits: .minimum)
        let secret = try PassphraseProtection.open(blob) { () throws(CryptoError) in composed }
        #expect(Self.bytes(secret) == pair.secretKeyBytes)
    }

    @Test func anEmptyPassphraseOrAWrongSizedSecretIsRefused() {
        let empty = #expect(throws: CryptoError.self) {
            try PassphraseProtection.seal(pair.secretKey, passphrase: "", limits: .minimum)
        }
        #expect(empty?.code == .noPassphrase)
        for passphrase in [nil, "p"] as [String?] {
            let wrongSize = #expect(throws: CryptoError.self) {
                try PassphraseProtection.seal(SecretBytes([1, 2, 3]), passphrase: passphrase, limits: .minimum)
            }
            #expect(wrongSize?.code == .malformedKey)
        }
    }

    @Test func sealingTwiceUsesFreshSaltAndNonce() throws {
        let first = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        let second = try PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: .minimum)
        #expect(first[23..<39] != second[23..<39])
        #expect(first[39..<63] != second[39..<63])
    }

    @Test func theDocumentedExampleIsReproducedAndOpens() throws {
        let text = try ProtocolVectors.text("keys.md")
        let marker = try #require(text.range(of: "<!-- vector: keyfile-passphrase -->"))
        let block = text[marker.upperBound...].split(separator: "```", omittingEmptySubsequences: false)[1]
        let documented = Hex.bytes(block)
        #expect(documented.count == 143)

        let vector = try #require(try SigningKeyPairTests.vectors().first)
        let rfcPair = try SigningKeyPair(seed: vector.seed)
        let sealed = try PassphraseProtection.seal(
            rfcPair.secretKey, passphrase: "correct horse battery staple", limits: .minimum,
            salt: Array(0x00...0x0F), nonce: Array(0x10...0x27))
        #expect(sealed == documented)
        let secret = try PassphraseProtection.open(documented) { () throws(CryptoError) in
            "correct horse battery staple"
        }
        #expect(try SigningKeyPair(secretKey: Self.bytes(secret)).publicKey.bytes == vector.publicKey)
    }

    @Test func theFormatConstantsAreLibsodiums() {
        #expect(PassphraseProtection.headerByteCount == 63)
        #expect(PassphraseProtection.plainByteCount == 71)
        #expect(PassphraseProtection.protectedByteCount == 143)
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> UInt64($0)) }
    }
}
