import CSodium

/// The two keys one connection encrypts with, one per direction, agreed from fresh X25519 key pairs
/// (libsodium `crypto_kx`, https://doc.libsodium.org/key_exchange).
///
/// Each side makes an ``EphemeralKeyPair`` for the connection alone, sends its public half, and derives
/// the keys from its own pair and the other's public key. The keys are BLAKE2b-512 of the X25519 shared
/// secret and both public keys, so they are bound to this exchange; once the pairs are dropped, a later
/// theft of the nodes' identity keys does not reveal them (forward secrecy).
public struct SessionKeys: Sendable {
    /// The key for what this side sends.
    public let sending: SecretBytes
    /// The key for what this side receives.
    public let receiving: SecretBytes

    /// The bytes in each key (`crypto_kx_SESSIONKEYBYTES`).
    public static let keyByteCount = 32

    /// The keys of the side that opened the connection (`crypto_kx_client_session_keys`).
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if `responderKey` is not an X25519 public key that
    ///   gives a usable shared secret (a low-order point, for example).
    public static func initiator(_ own: EphemeralKeyPair, responderKey: [UInt8]) throws(CryptoError) -> SessionKeys {
        try derive(own, other: responderKey, asClient: true)
    }

    /// The keys of the side that accepted the connection (`crypto_kx_server_session_keys`).
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if `initiatorKey` is not a usable X25519 public key.
    public static func responder(_ own: EphemeralKeyPair, initiatorKey: [UInt8]) throws(CryptoError) -> SessionKeys {
        try derive(own, other: initiatorKey, asClient: false)
    }

    private static func derive(_ own: EphemeralKeyPair, other: [UInt8], asClient: Bool) throws(CryptoError) -> SessionKeys {
        guard other.count == EphemeralKeyPair.publicKeyByteCount else {
            throw CryptoError(.malformedKey, "an X25519 public key is 32 bytes, not \(other.count)")
        }
        var receiving = [UInt8](repeating: 0, count: keyByteCount)
        var sending = [UInt8](repeating: 0, count: keyByteCount)
        let status = own.secretKey.withUnsafeUInt8Pointer { secret in
            asClient
                ? crypto_kx_client_session_keys(&receiving, &sending, own.publicKey, secret, other)
                : crypto_kx_server_session_keys(&receiving, &sending, own.publicKey, secret, other)
        }
        guard status == 0 else {
            throw CryptoError(.malformedKey, "the other side's key exchange key is not usable; the connection is refused")
        }
        return SessionKeys(sending: SecretBytes(sending), receiving: SecretBytes(receiving))
    }
}

/// An X25519 key pair made for one connection and then forgotten (`crypto_kx_keypair`).
public struct EphemeralKeyPair: Sendable {
    /// The public key, sent to the other side.
    public let publicKey: [UInt8]
    /// The secret key, zeroed when the last copy is released.
    let secretKey: SecretBytes

    /// The bytes in the public key (`crypto_kx_PUBLICKEYBYTES`).
    public static let publicKeyByteCount = 32

    /// A new random key pair.
    public static func generate() throws(CryptoError) -> EphemeralKeyPair {
        try Sodium.ready()
        var publicKey = [UInt8](repeating: 0, count: publicKeyByteCount)
        let secretKey = SecretBytes(count: Int(crypto_kx_secretkeybytes())) { buffer in
            _ = crypto_kx_keypair(&publicKey, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return EphemeralKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The key pair a 32-byte seed determines (`crypto_kx_seed_keypair`): for test vectors only, since a
    /// connection key must be new each time.
    ///
    /// - Throws: ``CryptoError`` `malformedKey` if `seed` is not 32 bytes.
    public init(seed: [UInt8]) throws(CryptoError) {
        try Sodium.ready()
        guard seed.count == Int(crypto_kx_seedbytes()) else {
            throw CryptoError(.malformedKey, "a key exchange seed is \(crypto_kx_seedbytes()) bytes, not \(seed.count)")
        }
        var publicKey = [UInt8](repeating: 0, count: Self.publicKeyByteCount)
        let secretKey = SecretBytes(count: Int(crypto_kx_secretkeybytes())) { buffer in
            _ = crypto_kx_seed_keypair(&publicKey, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), seed)
        }
        self.init(publicKey: publicKey, secretKey: secretKey)
    }

    private init(publicKey: [UInt8], secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
