import CSodium
import Foundation

/// Stores a 64-byte secret key in a key file, under a passphrase or in plain, as `Protocol/keys.md` specifies
/// byte by byte.
///
/// Under a passphrase, Argon2id (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`) derives a 32-byte key
/// from the passphrase and a random salt, and XChaCha20-Poly1305 (`crypto_aead_xchacha20poly1305_ietf_encrypt`,
/// https://doc.libsodium.org/secret-key_cryptography/aead/chacha20-poly1305/xchacha20-poly1305_construction)
/// encrypts the secret with it, authenticating the file's header (magic, version, mode, limits, salt, nonce)
/// as associated data. The derived key is zeroed after use.
///
/// | bytes | plain (mode 0), 71 in all | under a passphrase (mode 1), 143 in all |
/// |---|---|---|
/// | 5 | `WPKEY` | `WPKEY` |
/// | 1 | version 1 | version 1 |
/// | 1 | mode 0 | mode 1 |
/// | then | the 64 secret bytes | opslimit (8, big-endian), memlimit (8, big-endian), salt (16), nonce (24), ciphertext and tag (80) |
///
/// The passphrase is used as the UTF-8 bytes of its Unicode NFC form, so that the same passphrase typed on
/// keyboards that compose accents differently opens the same file.
public enum PassphraseProtection {
    /// The size of the secret a key file holds: an Ed25519 secret key (``SigningKeyPair/secretKey``).
    public static let secretByteCount = 64

    static let magic: [UInt8] = Array("WPKEY".utf8)
    static let version: UInt8 = 1
    static let plainMode: UInt8 = 0
    static let passphraseMode: UInt8 = 1
    /// Magic, version and mode.
    static let prefixByteCount = 7
    /// `crypto_pwhash_SALTBYTES`.
    static let saltByteCount = 16
    /// `crypto_aead_xchacha20poly1305_ietf_NPUBBYTES`.
    static let nonceByteCount = 24
    /// `crypto_aead_xchacha20poly1305_ietf_ABYTES`.
    static let tagByteCount = 16
    /// `crypto_aead_xchacha20poly1305_ietf_KEYBYTES`.
    static let derivedKeyByteCount = 32
    /// Everything before the ciphertext in mode 1, all of it authenticated as associated data.
    static let headerByteCount = prefixByteCount + 8 + 8 + saltByteCount + nonceByteCount
    static let plainByteCount = prefixByteCount + secretByteCount
    static let protectedByteCount = headerByteCount + secretByteCount + tagByteCount

    /// Makes a key file's bytes for `secret`: under `passphrase`, or in plain if it is nil.
    ///
    /// - Parameter limits: how hard Argon2id works: ``PassphraseLimits/moderate`` unless told otherwise;
    ///   keep the default except in tests, which may use ``PassphraseLimits/minimum``.
    /// - Throws: ``CryptoError`` `malformedKey` if `secret` is not 64 bytes; `noPassphrase` if `passphrase`
    ///   is empty; `insufficientMemory` if Argon2id cannot have the memory `limits` asks for.
    public static func seal(
        _ secret: SecretBytes, passphrase: String?, limits: PassphraseLimits = .moderate
    ) throws(CryptoError) -> [UInt8] {
        guard let passphrase else {
            try checkSize(of: secret)
            // One allocation, so no intermediate array holds a copy of the secret.
            var blob: [UInt8] = []
            blob.reserveCapacity(plainByteCount)
            blob += magic
            blob += [version, plainMode]
            secret.withUnsafeBytes { blob.append(contentsOf: $0) }
            return blob
        }
        return try seal(
            secret, passphrase: passphrase, limits: limits, salt: Random.bytes(saltByteCount),
            nonce: Random.bytes(nonceByteCount))
    }

    /// ``seal(_:passphrase:limits:)`` with a given salt and nonce, for the worked example in `Protocol/keys.md`.
    /// Anything else must use fresh random ones.
    static func seal(
        _ secret: SecretBytes, passphrase: String, limits: PassphraseLimits, salt: [UInt8], nonce: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try Sodium.ready()
        try checkSize(of: secret)
        precondition(salt.count == saltByteCount && nonce.count == nonceByteCount)
        guard !passphrase.isEmpty else {
            throw CryptoError(
                .noPassphrase, "the passphrase is empty; choose one, or store the key without a passphrase")
        }
        var blob = magic + [version, passphraseMode]
        appendBigEndian(limits.opslimit, to: &blob)
        appendBigEndian(limits.memlimit, to: &blob)
        blob += salt
        blob += nonce
        let key = try deriveKey(from: passphrase, salt: salt, limits: limits)
        blob += [UInt8](repeating: 0, count: secretByteCount + tagByteCount)
        blob.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            secret.withUnsafeUInt8Pointer { plaintext in
                key.withUnsafeUInt8Pointer { keyBytes in
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        base + headerByteCount, nil, plaintext, UInt64(secretByteCount),
                        base, UInt64(headerByteCount), nil, base + headerByteCount - nonceByteCount, keyBytes)
                }
            }
        }
        return blob
    }

    /// The secret in a key file's bytes, asking for the passphrase only if the file has one.
    ///
    /// The file's limits are checked before `passphrase` is called, so a damaged or hostile file is refused
    /// without asking and without allocating its memory.
    ///
    /// - Parameter passphrase: called at most once, and only for a file under a passphrase; it may throw
    ///   (for example ``CryptoError`` `cancelled` from ``PassphrasePrompt``), which `open` passes on.
    /// - Throws: ``CryptoError``:
    ///   - `wrongPassphrase` if the passphrase does not open the file (or its encrypted part is damaged);
    ///   - `malformed` if the bytes are not a Waypost key file, are cut short, or ask for limits outside
    ///     ``PassphraseLimits/minimum`` to ``PassphraseLimits/maximum``;
    ///   - `unsupportedVersion` for a format version other than 1;
    ///   - `noPassphrase` for an empty passphrase; `insufficientMemory` if Argon2id cannot have its memory.
    public static func open(
        _ blob: [UInt8], passphrase: () throws(CryptoError) -> String
    ) throws(CryptoError) -> SecretBytes {
        try Sodium.ready()
        guard blob.count >= prefixByteCount, blob.starts(with: magic) else {
            throw CryptoError(
                .malformed,
                "this is not a Waypost key file (it does not begin with WPKEY); check the path, or restore the "
                    + "key file from a backup")
        }
        guard blob[5] == version else {
            throw CryptoError(
                .unsupportedVersion,
                "this key file has format version \(blob[5]), and this Waypost reads version \(version); open it "
                    + "with the Waypost that wrote it, or a newer one")
        }
        switch blob[6] {
        case plainMode:
            guard blob.count == plainByteCount else { throw wrongSize(blob.count, expected: plainByteCount) }
            return SecretBytes(Array(blob[prefixByteCount...]))
        case passphraseMode:
            guard blob.count == protectedByteCount else { throw wrongSize(blob.count, expected: protectedByteCount) }
            return try openProtected(blob, passphrase: passphrase)
        default:
            throw CryptoError(
                .malformed,
                "this key file has protection mode \(blob[6]), which Waypost never writes: it is damaged; restore "
                    + "it from a backup")
        }
    }

    /// Whether the key file's bytes say it is under a passphrase, so that a caller knows whether it will
    /// need one before calling ``open(_:passphrase:)``.
    ///
    /// `false` for a plain key file and for bytes that are not a key file of this version.
    public static func isProtected(_ blob: [UInt8]) -> Bool {
        blob.count >= prefixByteCount && blob.starts(with: magic) && blob[5] == version && blob[6] == passphraseMode
    }

    /// The Argon2id limits a key file's bytes record, or nil for a plain key file and for bytes that are
    /// not a key file of this version or record limits Waypost does not open.
    public static func limits(of blob: [UInt8]) -> PassphraseLimits? {
        guard isProtected(blob), blob.count == protectedByteCount else { return nil }
        let opslimit = readBigEndian(blob, at: prefixByteCount)
        let memlimit = readBigEndian(blob, at: prefixByteCount + 8)
        guard PassphraseLimits.areAcceptable(opslimit: opslimit, memlimit: memlimit) else { return nil }
        return PassphraseLimits(opslimit: opslimit, memlimit: memlimit)
    }

    private static func openProtected(
        _ blob: [UInt8], passphrase: () throws(CryptoError) -> String
    ) throws(CryptoError) -> SecretBytes {
        let opslimit = readBigEndian(blob, at: prefixByteCount)
        let memlimit = readBigEndian(blob, at: prefixByteCount + 8)
        guard PassphraseLimits.areAcceptable(opslimit: opslimit, memlimit: memlimit) else {
            throw CryptoError(
                .malformed,
                "this key file asks for \(opslimit) Argon2id passes over \(memlimit) bytes of memory, outside what "
                    + "Waypost accepts (\(PassphraseLimits.minimum.opslimit) to \(PassphraseLimits.maximum.opslimit) "
                    + "passes, \(PassphraseLimits.minimum.memlimit) to \(PassphraseLimits.maximum.memlimit) bytes): "
                    + "it is damaged or was not written by Waypost; restore it from a backup")
        }
        let limits = PassphraseLimits(opslimit: opslimit, memlimit: memlimit)
        let phrase = try passphrase()
        guard !phrase.isEmpty else {
            throw CryptoError(.noPassphrase, "the passphrase is empty; this key file needs its passphrase")
        }
        let salt = Array(blob[(prefixByteCount + 16)..<(prefixByteCount + 16 + saltByteCount)])
        let key = try deriveKey(from: phrase, salt: salt, limits: limits)
        var outcome: Int32 = -1
        let secret = SecretBytes(count: secretByteCount) { output in
            blob.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                key.withUnsafeUInt8Pointer { keyBytes in
                    outcome = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil,
                        base + headerByteCount, UInt64(secretByteCount + tagByteCount),
                        base, UInt64(headerByteCount), base + headerByteCount - nonceByteCount, keyBytes)
                }
            }
        }
        guard outcome == 0 else {
            throw CryptoError(
                .wrongPassphrase,
                "wrong passphrase for this key file; nothing was changed (if you are sure of the passphrase, the "
                    + "file is damaged: restore it from a backup)")
        }
        return secret
    }

    /// Argon2id over the passphrase's NFC UTF-8 bytes; the copy of those bytes is zeroed afterwards (the
    /// `String` itself cannot be).
    private static func deriveKey(
        from passphrase: String, salt: [UInt8], limits: PassphraseLimits
    ) throws(CryptoError) -> SecretBytes {
        var phrase = Array(passphrase.precomposedStringWithCanonicalMapping.utf8)
        defer { Sodium.wipe(&phrase) }
        var outcome: Int32 = -1
        let key = SecretBytes(count: derivedKeyByteCount) { output in
            phrase.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { characters in
                    outcome = crypto_pwhash(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(derivedKeyByteCount),
                        characters.baseAddress!, UInt64(characters.count), salt, limits.opslimit, Int(limits.memlimit),
                        crypto_pwhash_alg_argon2id13())
                }
            }
        }
        guard outcome == 0 else {
            throw CryptoError(
                .insufficientMemory,
                "not enough memory to check the passphrase: Argon2id needs \(limits.memlimit / 1_048_576) MiB; "
                    + "close other programs and try again")
        }
        return key
    }

    private static func checkSize(of secret: SecretBytes) throws(CryptoError) {
        guard secret.count == secretByteCount else {
            throw CryptoError(
                .malformedKey,
                "a key file holds a \(secretByteCount)-byte Ed25519 secret key, not a \(secret.count)-byte secret")
        }
    }

    private static func wrongSize(_ count: Int, expected: Int) -> CryptoError {
        CryptoError(
            .malformed,
            "the key file is \(count) bytes, not \(expected): it was cut short or damaged; restore it from a backup")
    }

    private static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        bytes[offset..<(offset + 8)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
