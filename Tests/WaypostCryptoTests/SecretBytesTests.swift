import Foundation
import Testing

@testable import WaypostCrypto

/// Secrets are kept out of swap (`mlock`) where the system allows, and hold exactly what they were given.
@Suite struct SecretBytesTests {
    /// `VmLck` in `/proc/self/status`: how many kB of this process's memory are locked.
    static func lockedKilobytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmLck:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// Whether this process may lock memory at all: root (`CAP_IPC_LOCK`) or a non-zero `RLIMIT_MEMLOCK`.
    static var mayLockMemory: Bool {
        var limit = rlimit()
        _ = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit)
        return geteuid() == 0 || limit.rlim_cur >= 4096
    }

    @Test("a secret's memory is locked while it lives")
    func aSecretIsLocked() throws {
        try #require(Self.mayLockMemory, "this system lets no process lock memory")
        let secret = SecretBytes(Random.bytes(32))
        #expect(secret.isLocked)
        #expect(try Self.lockedKilobytes() > 0)
        withExtendedLifetime(secret) {}
    }

    @Test("secrets sharing pages stay locked as others are released, and every one holds its own bytes")
    func manySecrets() throws {
        try #require(Self.mayLockMemory, "this system lets no process lock memory")
        // 32-byte secrets pack many to a page: releasing half of them must not unlock the pages of the rest.
        var secrets = (0..<512).map { index in
            SecretBytes([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 32))
        }
        secrets = secrets.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element)
        let kept = SecretBytes(Random.bytes(64))
        #expect(kept.isLocked && secrets.allSatisfy(\.isLocked))
        #expect(try Self.lockedKilobytes() > 0)
        for (position, secret) in secrets.enumerated() {
            #expect(
                secret.withUnsafeBytes { Array($0) }
                    == [UInt8](repeating: UInt8(truncatingIfNeeded: position * 2), count: 32))
        }
        withExtendedLifetime(kept) {}
    }

    @Test("an empty secret and one filled in place")
    func shapes() {
        #expect(SecretBytes([]).count == 0)
        #expect(SecretBytes([]).withUnsafeBytes { $0.count } == 0)
        let filled = SecretBytes(count: 3) { buffer in buffer.copyBytes(from: [7, 8, 9]) }
        #expect(filled.withUnsafeBytes { Array($0) } == [7, 8, 9])
    }
}
