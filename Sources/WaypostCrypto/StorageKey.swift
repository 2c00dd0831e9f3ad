import CSodium

/// The key a node's replica is encrypted under at rest (`Protocol/replica.md` §9): 32 bytes derived from the
/// node's identity seed, so it is exactly as protected as the identity key file (under the node's
/// passphrase, Argon2id), and changing the passphrase re-wraps it without touching the replica.
///
/// Derived as BLAKE2b-256 keyed with the 32-byte Ed25519 seed over the domain `waypost/storage/v1` and a
/// zero byte: a keyed hash of a uniform secret, separated by its domain from every other use of the seed.
/// It never leaves the process and is never written anywhere.
public struct StorageKey: Sendable {
    /// The key's 32 bytes.
    public let bytes: SecretBytes

    /// The key's length in bytes (`crypto_aead_xchacha20poly1305_ietf_KEYBYTES`).
    public static let byteCount = 32

    static let domain: [UInt8] = Array("waypost/storage/v1".utf8) + [0]

    /// The storage key of the node whose identity is `identity`.
    public init(derivedFrom identity: SigningKeyPair) {
        let key = identity.secretKey.withUnsafeBytes { secret in
            Blake2b.hash(Self.domain, outputLength: Self.byteCount, key: Array(secret.prefix(SigningKeyPair.seedByteCount)))
        }
        bytes = SecretBytes(key)
    }

    /// A key of 32 given bytes.
    ///
    /// - Precondition: `bytes` holds 32 bytes.
    public init(bytes: SecretBytes) {
        precondition(bytes.count == Self.byteCount, "a storage key is 32 bytes, not \(bytes.count)")
        self.bytes = bytes
    }

    /// A fresh random key: for record keys, and for tests.
    public static func random() -> StorageKey {
        StorageKey(bytes: SecretBytes(Random.bytes(byteCount)))
    }
}
