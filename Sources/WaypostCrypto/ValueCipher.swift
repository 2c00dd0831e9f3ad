import CSodium

/// Encrypts values at rest: XChaCha20-Poly1305 (libsodium `crypto_aead_xchacha20poly1305_ietf`,
/// https://doc.libsodium.org/secret-key_cryptography/aead/chacha20-poly1305/xchacha20-poly1305_construction)
/// under a ``StorageKey``, with a nonce the caller chooses and optional associated data.
///
/// The caller is responsible for never sealing two different plaintexts under one key with one nonce:
/// the replica derives nonces from what is unique about a value (its change's dot) or draws them at
/// random (`Protocol/replica.md` §9).
public enum ValueCipher {
    /// The nonce length (`crypto_aead_xchacha20poly1305_ietf_NPUBBYTES`).
    public static let nonceByteCount = 24
    /// The bytes the tag adds (`crypto_aead_xchacha20poly1305_ietf_ABYTES`).
    public static let tagByteCount = 16

    /// Encrypts `plaintext` under `key` and `nonce`, authenticating `associatedData` too.
    ///
    /// - Returns: the ciphertext followed by the 16-byte tag.
    /// - Precondition: `nonce` holds 24 bytes.
    public static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: StorageKey, nonce: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer? = nil
    ) -> [UInt8] {
        precondition(nonce.count == nonceByteCount, "a value nonce is 24 bytes")
        Sodium.readyOrStop()
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        key.bytes.withUnsafeUInt8Pointer { keyBytes in
            output.withUnsafeMutableBufferPointer { out in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    out.baseAddress!, nil, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                    associatedData?.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData?.count ?? 0), nil,
                    nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes)
            }
        }
        return output
    }

    /// Decrypts what ``seal(_:key:nonce:associatedData:)`` made with the same key, nonce and associated data.
    ///
    /// - Throws: ``CryptoError`` `authenticationFailed` if anything differs or the bytes were altered;
    ///   `truncated` if they are shorter than a tag.
    public static func open(
        _ ciphertext: UnsafeRawBufferPointer, key: StorageKey, nonce: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer? = nil
    ) throws(CryptoError) -> [UInt8] {
        precondition(nonce.count == nonceByteCount, "a value nonce is 24 bytes")
        guard ciphertext.count >= tagByteCount else {
            throw CryptoError(.truncated, "an encrypted value is shorter than its 16-byte tag")
        }
        Sodium.readyOrStop()
        var output = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        let result = key.bytes.withUnsafeUInt8Pointer { keyBytes in
            output.withUnsafeMutableBufferPointer { out in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress, nil, nil, ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData?.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(associatedData?.count ?? 0),
                    nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes)
            }
        }
        guard result == 0 else {
            throw CryptoError(.authenticationFailed, "an encrypted value does not open under this node's key: it was altered, or belongs elsewhere")
        }
        return output
    }
}
