import Testing

@testable import WaypostCrypto

/// ISO/IEC 7816-4 padding to buckets of 32 bytes and then powers of two (`Protocol/replica.md` §9.5).
@Suite struct PaddingTests {
    @Test("buckets: 32 bytes, then the next power of two that holds the content and its 80 byte")
    func buckets() {
        #expect(Padding.bucket(for: 0) == 32)
        #expect(Padding.bucket(for: 31) == 32)
        #expect(Padding.bucket(for: 32) == 64)
        #expect(Padding.bucket(for: 63) == 64)
        #expect(Padding.bucket(for: 64) == 128)
        #expect(Padding.bucket(for: 200) == 256)
        #expect(Padding.bucket(for: 1023) == 1024)
        #expect(Padding.bucket(for: 1024) == 2048)
    }

    @Test("every length from 0 to 1100 pads to its bucket and back, with or without a format byte")
    func roundTrips() {
        for count in 0...1100 {
            let content = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
            let padded = Padding.padded(content)
            #expect(padded.count == Padding.bucket(for: count))
            #expect(Array(padded.prefix(count)) == content)
            #expect(padded[count] == 0x80 && padded[(count + 1)...].allSatisfy { $0 == 0 })
            #expect(padded.withUnsafeBytes(Padding.contentCount) == count)

            let marked = content.withUnsafeBytes { Padding.padded($0, after: 0xFF) }
            #expect(marked.count == Padding.bucket(for: count + 1))
            #expect(marked.first == 0xFF && Array(marked[1..<(count + 1)]) == content)
            #expect(marked.withUnsafeBytes(Padding.contentCount) == count + 1)
        }
    }

    @Test("the bytes of a padded value: abc, 80, then zeros to 32")
    func vector() {
        #expect(Padding.padded(Array("abc".utf8)) == [0x61, 0x62, 0x63, 0x80] + [UInt8](repeating: 0, count: 28))
    }

    @Test("padding that padded(_:) does not make is refused")
    func tamperedPaddingIsRefused() {
        let good = Padding.padded(Array("risk".utf8))
        var nonZero = good
        nonZero[31] = 1
        var noMarker = good
        noMarker[4] = 0
        var overwritten = good
        overwritten[4] = 0x81
        // A content that would fit a smaller bucket: not what the writer makes.
        let oversized = Array("risk".utf8) + [0x80] + [UInt8](repeating: 0, count: 59)
        for bad in [nonZero, noMarker, overwritten, oversized, Array(good.prefix(31)), good + [0], [], [0x80]] {
            #expect(bad.withUnsafeBytes(Padding.contentCount) == nil, "\(bad.count) bytes")
        }
        #expect(good.withUnsafeBytes(Padding.contentCount) == 4)
    }
}
