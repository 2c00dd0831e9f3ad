import CSodium

/// Secret key material that is zeroed (`sodium_memzero`) when released.
///
/// A final class so that copies share one buffer and the zeroing happens exactly once. It is
/// `@unchecked Sendable` because its storage is never mutated after `init` (only in `deinit`, when no
/// other reference exists).
public final class SecretBytes: @unchecked Sendable {
    private var storage: [UInt8]

    /// Takes ownership of `bytes`.
    ///
    /// Other copies of the array the caller still holds are not zeroed; prefer handing over the only copy.
    public init(_ bytes: [UInt8]) { storage = bytes }

    /// Makes `count` zero bytes and lets `body` fill them in place, so the secret is never copied out of
    /// this buffer (libsodium's key generators write straight into it).
    init(count: Int, fillingWith body: (UnsafeMutableRawBufferPointer) -> Void) {
        storage = [UInt8](repeating: 0, count: count)
        storage.withUnsafeMutableBytes(body)
    }

    /// The number of bytes.
    public var count: Int { storage.count }

    /// Calls `body` with the secret bytes; do not let them escape.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try storage.withUnsafeBytes(body)
    }

    /// Calls `body` with a pointer to the first byte, typed as libsodium's functions want it.
    ///
    /// - Precondition: `count > 0`.
    func withUnsafeUInt8Pointer<T>(_ body: (UnsafePointer<UInt8>) -> T) -> T {
        storage.withUnsafeBufferPointer { buffer in body(buffer.baseAddress!) }
    }

    deinit {
        storage.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}
