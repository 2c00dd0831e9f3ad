// What the fuzz targets share (compiled into each of them by Scripts/fuzz): the keys of the protocol's
// examples, made from their fixed seeds (Protocol/bundle.md §7, Protocol/sync.md §3.5), and a repair of
// the frames' checksums.
import WaypostCrypto

enum FuzzSupport {
    /// The 32 bytes `start, start + 1, …, start + 31`: the seeds of the protocol's examples.
    static func seed(_ start: UInt8) -> [UInt8] { (0..<32).map { start &+ UInt8($0) } }

    static func identity(_ start: UInt8) -> SigningKeyPair {
        do { return try SigningKeyPair(seed: seed(start)) } catch { fatalError("libsodium refused a seed: \(error)") }
    }

    static func ephemeral(_ start: UInt8) -> EphemeralKeyPair {
        do { return try EphemeralKeyPair(seed: seed(start)) } catch { fatalError("libsodium refused a seed: \(error)") }
    }

    /// S of bundle.md, I of sync.md (seed 00 01 … 1f).
    static let sender = identity(0x00)
    static let initiator = sender
    /// R (seed 40 41 … 5f).
    static let recipient = identity(0x40)
    static let responder = recipient
    /// O (seed 60 61 … 7f).
    static let bystander = identity(0x60)
    /// The ephemeral keys of sync.md §3.5 (seeds a0 … bf and c0 … df).
    static let initiatorEphemeral = ephemeral(0xA0)
    static let responderEphemeral = ephemeral(0xC0)

    /// `bytes` with every frame's CRC-32C (bundle.md §3.2) recomputed, as far as the frames' lengths
    /// allow: a mutated payload then reaches the decoder instead of stopping at the checksum.
    static func repairingChecksums(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        var offset = 10  // the magic and the version
        while offset + 5 <= bytes.count {
            let length = bytes[(offset + 1)..<(offset + 5)].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 5 + length
            guard length <= 1 << 24, end + 4 <= bytes.count else { break }
            let checksum = crc32c(bytes[offset..<end])
            for index in 0..<4 { bytes[end + index] = UInt8(truncatingIfNeeded: checksum >> (24 - 8 * index)) }
            offset = end + 4
        }
        return bytes
    }

    /// CRC-32C (Castagnoli), bit by bit as bundle.md §3.2 writes it: slow, and independent of the
    /// reader's own table-driven version.
    static func crc32c(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
