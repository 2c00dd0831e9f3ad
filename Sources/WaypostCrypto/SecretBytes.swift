#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CSodium

/// Secret key material, kept out of swap where the system allows (`mlock`, ``MemoryLock``) and zeroed
/// (`sodium_memzero`) when released.
///
/// A final class so that copies share one buffer and the zeroing happens exactly once. The buffer is this
/// object's own allocation, never an array's, so no copy-on-write can move the secret out of the locked
/// memory. It is `@unchecked Sendable` because its buffer is written only in `init` (and zeroed in
/// `deinit`, when no other reference exists).
public final class SecretBytes: @unchecked Sendable {
    /// At least one byte, so that it always has an address libsodium can be handed.
    private let allocation: UnsafeMutableRawBufferPointer
    /// The number of bytes.
    public let count: Int
    /// Whether every page of ``allocation`` was locked in memory.
    private let locked: Bool

    /// Copies `bytes` into locked memory and zeroes the array it was handed (if the caller held the only
    /// reference to its buffer, as when it passes a temporary; other copies the caller still holds are
    /// not zeroed, so prefer handing over the only one).
    public convenience init(_ bytes: consuming [UInt8]) {
        var bytes = bytes
        self.init(count: bytes.count) { buffer in bytes.withUnsafeBytes { buffer.copyMemory(from: $0) } }
        Sodium.wipe(&bytes)
    }

    /// Makes `count` zero bytes in locked memory and lets `body` fill them in place, so the secret is never
    /// copied out of this buffer (libsodium's key generators write straight into it).
    init(count: Int, fillingWith body: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(count >= 0, "a secret cannot have \(count) bytes")
        allocation = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        allocation.initializeMemory(as: UInt8.self, repeating: 0)
        self.count = count
        // Locked before the secret is written, so it is never in a page that could be swapped out.
        locked = MemoryLock.lock(allocation.baseAddress!, count: allocation.count)
        body(UnsafeMutableRawBufferPointer(rebasing: allocation[0..<count]))
    }

    /// Whether the secret's memory is locked (kept out of swap). `false` when the system refused, for
    /// example over `RLIMIT_MEMLOCK`: the secret still works and is still zeroed when released.
    package var isLocked: Bool { locked }

    /// Calls `body` with the secret bytes; do not let them escape.
    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(rebasing: allocation[0..<count]))
    }

    /// Calls `body` with a pointer to the first byte, typed as libsodium's functions want it.
    ///
    /// - Precondition: `count > 0`.
    func withUnsafeUInt8Pointer<T>(_ body: (UnsafePointer<UInt8>) -> T) -> T {
        precondition(count > 0, "an empty secret has no bytes to point at")
        return body(UnsafePointer(allocation.baseAddress!.assumingMemoryBound(to: UInt8.self)))
    }

    deinit {
        sodium_memzero(allocation.baseAddress!, allocation.count)
        MemoryLock.unlock(allocation.baseAddress!, count: allocation.count)
        allocation.deallocate()
    }
}
