import CSodium

/// libsodium's one-time initialisation (https://doc.libsodium.org/usage): every entry point calls
/// ``ready()`` or ``readyOrStop()``.
///
/// `sodium_init` is thread-safe and idempotent, but takes a lock on every call; the hash chain and the
/// value cipher call it several times per change merged. Its outcome is therefore kept in a constant that
/// Swift initialises once, thread-safely, on first use (an immutable value, not mutable global state).
enum Sodium {
    private static let initialised = sodium_init() >= 0

    /// Initialises libsodium, or throws if it cannot be.
    static func ready() throws(CryptoError) {
        guard initialised else {
            throw CryptoError(.unavailable, "libsodium could not be initialised; reinstall libsodium23")
        }
    }

    /// Initialises libsodium for an entry point that cannot throw (``Random/bytes(_:)``, ``Blake2b``,
    /// ``SecretStream/encrypt(_:key:chunkSize:)``).
    ///
    /// Stopping is deliberate, not a programmer-error `precondition` in disguise: `sodium_init` fails only
    /// when the process cannot lock a mutex, and continuing without libsodium could mean using weak
    /// randomness. libsodium itself aborts in the same situation (`sodium_misuse`).
    static func readyOrStop() {
        guard initialised else {
            fatalError("libsodium could not be initialised; reinstall libsodium23")
        }
    }

    /// Overwrites `bytes` with zeros (`sodium_memzero`, which the compiler may not optimise away).
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}
