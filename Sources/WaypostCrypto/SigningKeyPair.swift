import CSodium
public import WaypostCore

/// A node's Ed25519 key pair (libsodium `crypto_sign`, https://doc.libsodium.org/public-key_cryptography/public-key_signatures):
/// the public key is the node's id; the secret key signs its changes.
public struct SigningKeyPair: Sendable {
    /// The public key, which is the node id.
    public let publicKey: NodeID
    /// The 64-byte libsodium secret key (seed followed by public key).
    public let secretKey: SecretBytes

    /// The number of bytes in a seed (`crypto_sign_SEEDBYTES`).
    public static let seedByteCount = 32
    /// The number of bytes in a secret key (`crypto_sign_SECRETKEYBYTES`).
    public static let secretKeyByteCount = 64
    /// The number of bytes in a detached signature (`crypto_sign_BYTES`).
    public static let signatureByteCount = 64

    /// A new random key pair (`crypto_sign_keypair`).
    public static func generate() throws(CryptoError) -> SigningKeyPair {
        try Sodium.ready()
        var publicKey = [UInt8](repeating: 0, count: NodeID.byteCount)
        let secretKey = SecretBytes(count: secretKeyByteCount) { buffer in
            _ = crypto_sign_keypair(&publicKey, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return SigningKeyPair(publicKey: NodeID(bytes: publicKey), secretKey: secretKey)
    }

    /// The key pair that a 32-byte seed determines (`crypto_sign_seed_keypair`); RFC 8032 calls the seed
    /// the "secret key", so its test vectors start from one.
    ///
    /// The seed is as secret as the key: use it for test vectors and deterministic tests, and
    /// ``generate()`` for real identities.
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if `seed` is not 32 bytes.
    public init(seed: [UInt8]) throws(CryptoError) {
        try Sodium.ready()
        guard seed.count == Self.seedByteCount else {
            throw CryptoError(.malformedKey, "an Ed25519 seed is \(Self.seedByteCount) bytes, not \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: NodeID.byteCount)
        let secretKey = SecretBytes(count: Self.secretKeyByteCount) { buffer in
            _ = crypto_sign_seed_keypair(&publicKey, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), seed)
        }
        self.init(publicKey: NodeID(bytes: publicKey), secretKey: secretKey)
    }

    /// The key pair whose 64-byte secret key this is (as ``secretKey`` holds it).
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if the bytes are not a consistent Ed25519 secret key.
    public init(secretKey bytes: [UInt8]) throws(CryptoError) {
        try Sodium.ready()
        guard bytes.count == Self.secretKeyByteCount else {
            throw CryptoError(.malformedKey, "the key file holds \(bytes.count) bytes, not an Ed25519 secret key")
        }
        // The public half must be the one the seed determines, not just any 32 bytes stored after it.
        var seed = Array(bytes[0..<Self.seedByteCount])
        defer { Sodium.wipe(&seed) }
        var derived = [UInt8](repeating: 0, count: NodeID.byteCount)
        var rederived = [UInt8](repeating: 0, count: Self.secretKeyByteCount)
        defer { Sodium.wipe(&rederived) }
        crypto_sign_seed_keypair(&derived, &rederived, seed)
        guard Array(bytes[32..<64]) == derived else {
            throw CryptoError(.malformedKey, "the key file is damaged: its public half does not match its secret half")
        }
        self.init(publicKey: NodeID(bytes: derived), secretKey: SecretBytes(bytes))
    }

    private init(publicKey: NodeID, secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The secret key's bytes, for writing to the key file.
    ///
    /// The returned array is not zeroed when released; prefer ``PassphraseProtection/seal(_:passphrase:limits:)``
    /// with ``secretKey``.
    public var secretKeyBytes: [UInt8] { secretKey.withUnsafeBytes { Array($0) } }

    /// Signs `message`, returning a 64-byte detached signature (`crypto_sign_detached`; deterministic, as
    /// RFC 8032 specifies). Check it with ``SignatureVerifier/isValid(_:of:by:)``.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        secretKey.withUnsafeUInt8Pointer { secret in
            _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secret)
        }
        return signature
    }
}
