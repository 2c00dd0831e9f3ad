import CSodium

/// One direction of an encrypted connection: XChaCha20-Poly1305 (libsodium
/// `crypto_aead_xchacha20poly1305_ietf`, https://doc.libsodium.org/secret-key_cryptography/aead) with a
/// nonce that counts the messages.
///
/// The sender seals message *n* with nonce *n* (little-endian in the first 8 of the 24 bytes, the rest
/// zero); the receiver opens message *n* only with nonce *n*. So a message that was changed, dropped,
/// repeated or moved is refused: the tag fails. Each connection has its own keys (``SessionKeys``), so
/// counting from zero each time never reuses a nonce under one key.
public struct ChannelCipher: Sendable {
    private let key: SecretBytes
    /// The number of messages sealed or opened so far: the next nonce.
    public private(set) var counter: UInt64 = 0

    /// The bytes each sealed message adds to its plaintext (`crypto_aead_xchacha20poly1305_ietf_ABYTES`).
    public static let overhead = 16

    /// A cipher for one direction, starting at nonce zero.
    ///
    /// - Precondition: `key` is 32 bytes.
    public init(key: SecretBytes) {
        precondition(key.count == SessionKeys.keyByteCount, "a channel key is 32 bytes, not \(key.count)")
        self.key = key
    }

    /// Encrypts and authenticates the next message.
    public mutating func seal(_ plaintext: [UInt8]) -> [UInt8] {
        Sodium.readyOrStop()
        let nonce = nextNonce()
        var output = [UInt8](repeating: 0, count: plaintext.count + Self.overhead)
        var written: UInt64 = 0
        key.withUnsafeUInt8Pointer { key in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &output, &written, plaintext, UInt64(plaintext.count), nil, 0, nil, nonce, key)
        }
        return output
    }

    /// Decrypts the next message.
    ///
    /// - Throws: ``CryptoError`` `authenticationFailed` if it was not sealed by the other side as its next
    ///   message under this connection's key; the counter does not move, and the connection must be dropped.
    public mutating func open(_ ciphertext: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard ciphertext.count >= Self.overhead else {
            throw CryptoError(.truncated, "an encrypted message is shorter than its 16-byte tag")
        }
        Sodium.readyOrStop()
        var nonce = Self.nonce(counter)
        var output = [UInt8](repeating: 0, count: ciphertext.count - Self.overhead)
        var read: UInt64 = 0
        let status = key.withUnsafeUInt8Pointer { key in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                &output, &read, nil, ciphertext, UInt64(ciphertext.count), nil, 0, &nonce, key)
        }
        guard status == 0 else {
            throw CryptoError(
                .authenticationFailed, "an encrypted message did not authenticate: it was changed, replayed or sent out of order")
        }
        counter += 1
        return output
    }

    private mutating func nextNonce() -> [UInt8] {
        precondition(counter < UInt64.max, "a connection cannot send 2^64 messages")
        defer { counter += 1 }
        return Self.nonce(counter)
    }

    private static func nonce(_ counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Int(crypto_aead_xchacha20poly1305_ietf_npubbytes()))
        withUnsafeBytes(of: counter.littleEndian) { nonce.replaceSubrange(0..<8, with: $0) }
        return nonce
    }
}
