import CSodium

/// Secret key material that is zeroed (`sodium_memzero`) when released.
///
/// A final class so that copies share one buffer and the zeroing happens exactly once. It is
/// `@unchecked Sendable` because its storage is never mutated after `init` (only in `deinit`, when no
/// other reference exists).
public final class SecretBytes: @unchecked Sendable {
    private var storage: [UInt8]

    /// Takes ownership of `bytes`.
    public init(_ bytes: [UInt8]) { storage = bytes }

    /// The number of bytes.
    public var count: Int { storage.count }

    /// Calls `body` with the secret bytes; do not let them escape.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try storage.withUnsafeBytes(body)
    }

    deinit {
        storage.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}
