import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`
/// (https://doc.libsodium.org/hashing/generic_hashing): an unkeyed hash, or a MAC with a key.
///
/// Feed it with ``update(_:)-([UInt8])`` as bytes arrive, then read ``finalize()``; or hash at once with
/// ``hash(_:outputLength:key:)``.
///
/// ## Storage
/// libsodium declares `crypto_generichash_state` 64-byte aligned (`CRYPTO_ALIGN(64)`), an alignment Swift
/// does not promise for a value it lays out (it imports the type only as an opaque pointer). The state therefore lives in a heap block allocated with
/// alignment 64, owned by a private final class that zeroes it (a keyed state holds the key) and frees it.
/// `Blake2b` stays an ordinary copyable value: copies share the block until one of them is updated, which
/// then copies it first (copy on write), so a copy never sees another copy's input. A non-copyable struct
/// was the other choice; it would forbid keeping a hash in an array or forking one to hash two suffixes of a
/// common prefix, and bring no safety that copy on write does not.
public struct Blake2b: Sendable {
    /// The number of bytes ``finalize()`` returns.
    public let outputLength: Int

    private var state: State

    /// The shortest output libsodium documents (`crypto_generichash_BYTES_MIN`, 16 bytes).
    public static let minimumOutputLength = 16
    /// The longest output (`crypto_generichash_BYTES_MAX`, 64 bytes).
    public static let maximumOutputLength = 64
    /// The shortest key libsodium documents (`crypto_generichash_KEYBYTES_MIN`, 16 bytes).
    public static let minimumKeyLength = 16
    /// The longest key (`crypto_generichash_KEYBYTES_MAX`, 64 bytes).
    public static let maximumKeyLength = 64

    /// Starts a hash of `outputLength` bytes, keyed (a MAC) if `key` is given (`crypto_generichash_init`).
    ///
    /// - Precondition: `outputLength` is 16...64; `key`, if not nil or empty, is 16...64 bytes. These are
    ///   fixed by the caller's protocol, not by input, so a wrong one is a programmer error.
    public init(outputLength: Int = 32, key: [UInt8]? = nil) {
        Self.checkParameters(outputLength: outputLength, key: key)
        Sodium.readyOrStop()
        self.outputLength = outputLength
        state = State()
        let key = key ?? []
        let outcome = crypto_generichash_init(state.pointer, key.isEmpty ? nil : key, key.count, outputLength)
        precondition(outcome == 0, "crypto_generichash_init refused checked parameters")
    }

    /// Adds `bytes` to the hash (`crypto_generichash_update`).
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the bytes in `buffer` to the hash without copying them (`crypto_generichash_update`).
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        if !isKnownUniquelyReferenced(&state) { state = State(copying: state) }
        _ = crypto_generichash_update(
            state.pointer, base.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count))
    }

    /// The hash of everything added so far (`crypto_generichash_final`).
    ///
    /// Finalising works on a copy of the state, so this value can keep being updated and finalised again.
    public func finalize() -> [UInt8] {
        let scratch = State(copying: state)
        var output = [UInt8](repeating: 0, count: outputLength)
        let outcome = crypto_generichash_final(scratch.pointer, &output, outputLength)
        precondition(outcome == 0, "crypto_generichash_final failed on a fresh copy of the state")
        return output
    }

    /// The BLAKE2b hash of `bytes` in one call (`crypto_generichash`).
    ///
    /// - Precondition: as for ``init(outputLength:key:)``.
    public static func hash(_ bytes: [UInt8], outputLength: Int = 32, key: [UInt8]? = nil) -> [UInt8] {
        checkParameters(outputLength: outputLength, key: key)
        Sodium.readyOrStop()
        let key = key ?? []
        var output = [UInt8](repeating: 0, count: outputLength)
        let outcome = crypto_generichash(
            &output, outputLength, bytes, UInt64(bytes.count), key.isEmpty ? nil : key, key.count)
        precondition(outcome == 0, "crypto_generichash refused checked parameters")
        return output
    }

    /// The BLAKE2b hash of the bytes in `buffer`, without copying them into an array first.
    ///
    /// - Precondition: as for ``init(outputLength:key:)``.
    public static func hash(_ buffer: UnsafeRawBufferPointer, outputLength: Int = 32, key: [UInt8]? = nil) -> [UInt8] {
        checkParameters(outputLength: outputLength, key: key)
        Sodium.readyOrStop()
        let key = key ?? []
        return [UInt8](unsafeUninitializedCapacity: outputLength) { output, count in
            let outcome = crypto_generichash(
                output.baseAddress!, outputLength, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(buffer.count), key.isEmpty ? nil : key, key.count)
            precondition(outcome == 0, "crypto_generichash refused checked parameters")
            count = outputLength
        }
    }

    private static func checkParameters(outputLength: Int, key: [UInt8]?) {
        precondition(
            (minimumOutputLength...maximumOutputLength).contains(outputLength),
            "a BLAKE2b output is 16 to 64 bytes, not \(outputLength)")
        if let key, !key.isEmpty {
            precondition(
                (minimumKeyLength...maximumKeyLength).contains(key.count),
                "a BLAKE2b key is 16 to 64 bytes, not \(key.count)")
        }
    }

    /// A 64-byte aligned `crypto_generichash_state` on the heap, zeroed and freed with the last reference.
    ///
    /// `@unchecked Sendable`: the block is written only through `Blake2b`'s mutating methods after
    /// `isKnownUniquelyReferenced` has shown no other value shares it (the copy-on-write rule `Array` relies
    /// on for its own `Sendable` conformance), and otherwise only read.
    private final class State: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
        /// The state as libsodium's functions take it: Swift imports the over-aligned
        /// `crypto_generichash_state` only as an opaque pointer.
        var pointer: OpaquePointer { OpaquePointer(raw) }

        init() {
            raw = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: crypto_generichash_statebytes())
        }

        convenience init(copying other: State) {
            self.init()
            raw.copyMemory(from: other.raw, byteCount: crypto_generichash_statebytes())
        }

        deinit {
            sodium_memzero(raw, crypto_generichash_statebytes())
            raw.deallocate()
        }
    }
}
