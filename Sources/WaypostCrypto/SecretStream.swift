import CSodium

/// Authenticated encryption of a long message in chunks, with a key both ends share: libsodium's
/// XChaCha20-Poly1305 secretstream (https://doc.libsodium.org/secret-key_cryptography/secretstream).
///
/// The stream authenticates each chunk, their order, and where it ends, so reordered, dropped, changed or
/// cut-off data is refused rather than decrypted to something plausible. The byte layout, which
/// `Protocol/keys.md` specifies, is:
///
/// | bytes | what |
/// |---|---|
/// | 24 | header from `crypto_secretstream_xchacha20poly1305_init_push` |
/// | 4 | the first chunk's ciphertext length, unsigned big-endian |
/// | that many | the chunk's ciphertext: its plaintext length + 17 (`crypto_secretstream_xchacha20poly1305_ABYTES`) |
/// | ... | more chunks, each a length and a ciphertext |
///
/// Every chunk but the last is tagged `TAG_MESSAGE`; the last is tagged `TAG_FINAL`, and nothing may follow
/// it. An empty plaintext is one empty `TAG_FINAL` chunk. The tags are inside the authenticated ciphertext,
/// so a stream that stops after a whole chunk is still seen to be cut short.
public enum SecretStream {
    /// The bytes in a key (`crypto_secretstream_xchacha20poly1305_KEYBYTES`).
    public static let keyByteCount = 32
    /// The bytes in the stream header (`crypto_secretstream_xchacha20poly1305_HEADERBYTES`).
    public static let headerByteCount = 24
    /// The bytes each chunk's ciphertext adds to its plaintext (`crypto_secretstream_xchacha20poly1305_ABYTES`).
    public static let chunkOverhead = 17
    /// The bytes of the length before each chunk.
    static let lengthByteCount = 4

    /// A new random key (`crypto_secretstream_xchacha20poly1305_keygen`).
    public static func makeKey() -> SecretBytes {
        Sodium.readyOrStop()
        return SecretBytes(count: keyByteCount) { buffer in
            crypto_secretstream_xchacha20poly1305_keygen(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Encrypts `plaintext` under `key` in chunks of at most `chunkSize` plaintext bytes.
    ///
    /// The output is `24 + chunks × 21 + plaintext.count` bytes. The header is random, so encrypting the same
    /// plaintext twice gives different bytes. Whoever decrypts must allow chunks of `chunkSize + 17` bytes
    /// (``decrypt(_:key:maximumChunk:)``'s default matches the default `chunkSize`).
    ///
    /// - Precondition: `key` is 32 bytes (``makeKey()`` makes one); `chunkSize` is 1 to 2³² − 18, so a
    ///   chunk's length fits its four bytes.
    public static func encrypt(_ plaintext: [UInt8], key: SecretBytes, chunkSize: Int = 65536) -> [UInt8] {
        precondition(key.count == keyByteCount, "a secretstream key is \(keyByteCount) bytes, not \(key.count)")
        precondition(
            chunkSize > 0 && chunkSize <= Int(UInt32.max) - chunkOverhead,
            "a secretstream chunk holds 1 to \(Int(UInt32.max) - chunkOverhead) bytes, not \(chunkSize)")
        Sodium.readyOrStop()
        let chunkCount = max(1, (plaintext.count + chunkSize - 1) / chunkSize)
        let total = headerByteCount + chunkCount * (lengthByteCount + chunkOverhead) + plaintext.count
        var state = crypto_secretstream_xchacha20poly1305_state()
        defer { withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) } }
        let messageTag = crypto_secretstream_xchacha20poly1305_tag_message()
        let finalTag = crypto_secretstream_xchacha20poly1305_tag_final()
        var output = [UInt8](repeating: 0, count: total)
        output.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            _ = key.withUnsafeUInt8Pointer { keyBytes in
                crypto_secretstream_xchacha20poly1305_init_push(&state, base, keyBytes)
            }
            plaintext.withUnsafeBufferPointer { input in
                var offset = headerByteCount
                for index in 0..<chunkCount {
                    let start = index * chunkSize
                    let length = min(chunkSize, input.count - start)
                    let cipherLength = length + chunkOverhead
                    writeLength(UInt32(cipherLength), to: base + offset)
                    let tag = index == chunkCount - 1 ? finalTag : messageTag
                    // The empty plaintext's one chunk still needs a valid pointer to read nothing from.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                        _ = crypto_secretstream_xchacha20poly1305_push(
                            &state, base + offset + lengthByteCount, nil,
                            length > 0 ? input.baseAddress! + start : UnsafePointer(spare.baseAddress!), UInt64(length),
                            nil, 0,
                            tag)
                    }
                    offset += lengthByteCount + cipherLength
                }
                assert(offset == total)
            }
        }
        return output
    }

    /// Decrypts what ``encrypt(_:key:chunkSize:)`` made, checking every chunk and that the stream ends with
    /// its final chunk.
    ///
    /// Nothing is returned unless the whole stream verifies; plaintext decrypted before a failure is zeroed.
    ///
    /// - Parameter maximumChunk: the longest chunk ciphertext accepted, so that a damaged length cannot make
    ///   the reader wait for or allocate more than the writer could have written: the writer's `chunkSize`
    ///   plus 17.
    /// - Throws: ``CryptoError``:
    ///   - `truncated` if the bytes end before the final chunk (a file cut short);
    ///   - `authenticationFailed` if a chunk does not verify (changed bytes, or another key);
    ///   - `malformed` if a chunk's length is impossible or bytes follow the final chunk;
    ///   - `malformedKey` if `key` is not 32 bytes.
    public static func decrypt(
        _ bytes: [UInt8], key: SecretBytes, maximumChunk: Int = 65536 + 17
    ) throws(CryptoError) -> [UInt8] {
        try Sodium.ready()
        guard key.count == keyByteCount else {
            throw CryptoError(.malformedKey, "a secretstream key is \(keyByteCount) bytes, not \(key.count)")
        }
        guard bytes.count >= headerByteCount else {
            throw CryptoError(
                .truncated,
                "the encrypted data is \(bytes.count) bytes, shorter than its \(headerByteCount)-byte header: "
                    + "it was cut short; copy it again from its source")
        }
        var state = crypto_secretstream_xchacha20poly1305_state()
        defer { withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) } }
        let started = key.withUnsafeUInt8Pointer { keyBytes in
            crypto_secretstream_xchacha20poly1305_init_pull(&state, bytes, keyBytes)
        }
        guard started == 0 else {
            throw CryptoError(.malformed, "the encrypted data's header is invalid: it is damaged or not a secretstream")
        }
        // The plaintext is shorter than the input, so reserving the input's size means appending never
        // reallocates and leaves no stray copy of plaintext in freed memory.
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(bytes.count - headerByteCount)
        var failure: CryptoError?
        bytes.withUnsafeBufferPointer { input in
            failure = pullChunks(from: input, state: &state, maximumChunk: maximumChunk, into: &plaintext)
        }
        if let failure {
            Sodium.wipe(&plaintext)
            throw failure
        }
        return plaintext
    }

    /// Decrypts the chunks after the header into `plaintext`, returning the first problem found.
    private static func pullChunks(
        from input: UnsafeBufferPointer<UInt8>, state: inout crypto_secretstream_xchacha20poly1305_state,
        maximumChunk: Int, into plaintext: inout [UInt8]
    ) -> CryptoError? {
        let base = input.baseAddress!
        let messageTag = crypto_secretstream_xchacha20poly1305_tag_message()
        let finalTag = crypto_secretstream_xchacha20poly1305_tag_final()
        var offset = headerByteCount
        var chunkNumber = 0
        while true {
            chunkNumber += 1
            let remaining = input.count - offset
            guard remaining >= lengthByteCount else {
                return CryptoError(
                    .truncated,
                    "the encrypted data ends before its final chunk (after \(chunkNumber - 1) chunks): it was cut "
                        + "short, by an interrupted copy or a full disk; copy it again from its source")
            }
            let length = Int(readLength(at: base + offset))
            guard length >= chunkOverhead, length <= maximumChunk else {
                return CryptoError(
                    .malformed,
                    "chunk \(chunkNumber) of the encrypted data claims \(length) bytes, outside the \(chunkOverhead) "
                        + "to \(maximumChunk) a chunk can hold: the data is damaged or was not written by Waypost")
            }
            guard remaining - lengthByteCount >= length else {
                return CryptoError(
                    .truncated,
                    "the encrypted data ends inside chunk \(chunkNumber): it was cut short, by an interrupted copy "
                        + "or a full disk; copy it again from its source")
            }
            let produced = length - chunkOverhead
            let before = plaintext.count
            plaintext.append(contentsOf: repeatElement(0, count: produced))
            var tag: UInt8 = 0
            let outcome = plaintext.withUnsafeMutableBufferPointer { out in
                // The empty final chunk still needs a valid pointer to write nothing to.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
                    crypto_secretstream_xchacha20poly1305_pull(
                        &state, produced > 0 ? out.baseAddress! + before : spare.baseAddress!, nil, &tag,
                        base + offset + lengthByteCount, UInt64(length), nil, 0)
                }
            }
            guard outcome == 0 else {
                return CryptoError(
                    .authenticationFailed,
                    "chunk \(chunkNumber) of the encrypted data does not verify: it was changed after it was "
                        + "written, or this is the wrong key; restore the data from its source")
            }
            offset += lengthByteCount + length
            if tag == finalTag {
                guard offset == input.count else {
                    return CryptoError(
                        .malformed,
                        "\(input.count - offset) bytes follow the encrypted data's final chunk: something was "
                            + "appended to it; restore the data from its source")
                }
                return nil
            }
            guard tag == messageTag else {
                return CryptoError(
                    .malformed,
                    "chunk \(chunkNumber) of the encrypted data carries tag \(tag), which Waypost never writes")
            }
        }
    }

    private static func writeLength(_ length: UInt32, to pointer: UnsafeMutablePointer<UInt8>) {
        pointer[0] = UInt8(truncatingIfNeeded: length >> 24)
        pointer[1] = UInt8(truncatingIfNeeded: length >> 16)
        pointer[2] = UInt8(truncatingIfNeeded: length >> 8)
        pointer[3] = UInt8(truncatingIfNeeded: length)
    }

    private static func readLength(at pointer: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(pointer[0]) << 24 | UInt32(pointer[1]) << 16 | UInt32(pointer[2]) << 8 | UInt32(pointer[3])
    }
}
