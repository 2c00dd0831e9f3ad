import CSodium
import Testing

@testable import WaypostCrypto

@Suite struct PassphraseLimitsTests {
    @Test func thePresetsAreLibsodiumsDocumentedValues() {
        #expect(PassphraseLimits.moderate == PassphraseLimits(opslimit: 3, memlimit: 268_435_456))
        #expect(PassphraseLimits.interactive == PassphraseLimits(opslimit: 2, memlimit: 67_108_864))
        #expect(PassphraseLimits.minimum == PassphraseLimits(opslimit: 1, memlimit: 8192))
        #expect(PassphraseLimits.maximum == PassphraseLimits(opslimit: 4, memlimit: 1_073_741_824))
    }

    @Test func onlyLimitsBetweenMinimumAndMaximumAreAcceptable() {
        #expect(PassphraseLimits.areAcceptable(opslimit: 1, memlimit: 8192))
        #expect(PassphraseLimits.areAcceptable(opslimit: 4, memlimit: 1 << 30))
        #expect(!PassphraseLimits.areAcceptable(opslimit: 0, memlimit: 8192))
        #expect(!PassphraseLimits.areAcceptable(opslimit: 5, memlimit: 8192))
        #expect(!PassphraseLimits.areAcceptable(opslimit: 1, memlimit: 8191))
        #expect(!PassphraseLimits.areAcceptable(opslimit: 1, memlimit: 1 << 30 + 1))
    }

    @Test func theKeyFileConstantsAreLibsodiums() {
        #expect(PassphraseProtection.saltByteCount == crypto_pwhash_saltbytes())
        #expect(PassphraseProtection.nonceByteCount == crypto_aead_xchacha20poly1305_ietf_npubbytes())
        #expect(PassphraseProtection.tagByteCount == crypto_aead_xchacha20poly1305_ietf_abytes())
        #expect(PassphraseProtection.derivedKeyByteCount == crypto_aead_xchacha20poly1305_ietf_keybytes())
        #expect(SecretStream.keyByteCount == crypto_secretstream_xchacha20poly1305_keybytes())
        #expect(SecretStream.headerByteCount == crypto_secretstream_xchacha20poly1305_headerbytes())
        #expect(SecretStream.chunkOverhead == crypto_secretstream_xchacha20poly1305_abytes())
        #expect(SealedBox.overhead == crypto_box_sealbytes())
        #expect(Blake2b.minimumOutputLength == crypto_generichash_bytes_min())
        #expect(Blake2b.maximumOutputLength == crypto_generichash_bytes_max())
        #expect(Blake2b.minimumKeyLength == crypto_generichash_keybytes_min())
        #expect(Blake2b.maximumKeyLength == crypto_generichash_keybytes_max())
        #expect(SigningKeyPair.seedByteCount == crypto_sign_seedbytes())
        #expect(SigningKeyPair.secretKeyByteCount == crypto_sign_secretkeybytes())
        #expect(SigningKeyPair.signatureByteCount == crypto_sign_bytes())
    }
}
