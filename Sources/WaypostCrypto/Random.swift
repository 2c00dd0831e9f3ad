import CSodium

/// Cryptographically secure random bytes from the operating system (`randombytes_buf`,
/// https://doc.libsodium.org/generating_random_data): for salts, nonces and ids, never `SystemRandomNumberGenerator`
/// seeded by hand.
public enum Random {
    /// `count` random bytes.
    ///
    /// - Precondition: `count >= 0`.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "cannot make \(count) random bytes")
        Sodium.readyOrStop()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            if let base = buffer.baseAddress, count > 0 { randombytes_buf(base, count) }
            initializedCount = count
        }
    }
}
