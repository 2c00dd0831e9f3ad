import CSodium

/// libsodium's one-time initialisation (https://doc.libsodium.org/usage): `sodium_init` is thread-safe
/// and idempotent, so every entry point calls ``ready()`` rather than relying on global state.
enum Sodium {
    static func ready() throws(CryptoError) {
        guard sodium_init() >= 0 else {
            throw CryptoError(.unavailable, "libsodium could not be initialised; reinstall libsodium23")
        }
    }
}
