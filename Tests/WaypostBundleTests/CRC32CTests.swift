import Testing

@testable import WaypostBundle

/// CRC-32C as RFC 3720 §B.4 defines it, the frame checksum of `Protocol/bundle.md` §3.
@Suite struct CRC32CTests {
    @Test func checkValueOf123456789() {
        // The "check" value of the CRC-32/ISCSI catalogue entry (reveng.sourceforge.io/crc-catalogue).
        #expect(CRC32C.checksum(Array("123456789".utf8), 0..<9) == 0xE306_9283)
    }

    @Test func emptyInputIsZero() {
        #expect(CRC32C.checksum([], 0..<0) == 0)
    }

    @Test func rfc3720TestPatterns() {
        // RFC 3720 §B.4: 32 bytes of zeros, of ones, ascending and descending. The RFC lists the CRC
        // bytes as they go on the wire (least significant first); these are the same values as integers.
        #expect(CRC32C.checksum(Array(repeating: 0x00, count: 32), 0..<32) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array(repeating: 0xFF, count: 32), 0..<32) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }, 0..<32) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }, 0..<32) == 0x113F_DB5C)
    }

    @Test func checksumsOnlyTheRange() {
        let bytes: [UInt8] = [0xAA, 0xBB] + Array("123456789".utf8) + [0xCC]
        #expect(CRC32C.checksum(bytes, 2..<11) == 0xE306_9283)
    }

    @Test func matchesABitwiseReference() {
        var generator = SeededGenerator(seed: 0xC5C3)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(CRC32C.checksum(bytes, 0..<length) == Self.bitwise(bytes))
        }
    }

    /// The reflected CRC-32C computed one bit at a time, without a table.
    static func bitwise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
