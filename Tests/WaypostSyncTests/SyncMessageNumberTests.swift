import Testing
import WaypostCore
import WaypostCrypto
import WaypostSync

/// The numbers of channel messages (`Protocol/sync.md` §4): batch numbers, counts of changes applied and
/// version vector entries are at most 2^63 - 1, and a vector's entries add up to at most that; a reader
/// refuses anything else as `malformed` when it decodes the message, so no later sum or conversion
/// can trap (issue 15, "Crash at will").
@Suite struct SyncMessageNumberTests {
    static let largest = Dot.maximumSequence
    /// Values past the range, up to 2^64 - 1.
    static let outOfRange: [UInt64] = [1 << 63, (1 << 63) + 1, (1 << 63) + 5, .max - 1, .max]

    static let (low, high) = (Nodes.initiator.publicKey, Nodes.other.publicKey)

    /// A `versions` message written by hand, with any numbers: what a hostile peer sends.
    static func versions(_ entries: [(NodeID, UInt64)], tag: UInt8 = 0x10, prefix: [UInt64] = []) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(tag)
        for number in prefix { writer.write(varint: number) }
        writer.write(varint: UInt64(entries.count))
        for (node, sequence) in entries.sorted(by: { $0.0 < $1.0 }) {
            writer.write(bytes: node.bytes)
            writer.write(varint: sequence)
        }
        return writer.bytes
    }

    static func error(_ bytes: [UInt8]) -> SyncError? {
        Nodes.error { () throws(SyncError) in try SyncMessage(decoding: bytes) }
    }

    /// The attack: `versions` with two entries of 2^63, which a session used to add up and overflow.
    @Test func versionsWithTwoEntriesOf2To63AreMalformed() {
        let error = Self.error(Self.versions([(Self.low, 1 << 63), (Self.high, 1 << 63)]))
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("version vector") == true, "\(String(describing: error))")
    }

    /// The attack: `versions` with an entry of 2^63 + 5, which a session used to convert to `Int64`.
    @Test func versionsWithAnEntryOf2To63Plus5AreMalformed() {
        let error = Self.error(Self.versions([(Self.low, (1 << 63) + 5)]))
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("9223372036854775813") == true, "\(String(describing: error))")
    }

    @Test(arguments: outOfRange)
    func aVersionsEntryPastTheLargestIsMalformed(sequence: UInt64) {
        for tag: UInt8 in [0x10, 0x12] {
            let prefix: [UInt64] = tag == 0x12 ? [1, 1] : []
            #expect(Self.error(Self.versions([(Self.low, sequence)], tag: tag, prefix: prefix))?.code == .malformed)
            #expect(
                Self.error(Self.versions([(Self.low, 1), (Self.high, sequence)], tag: tag, prefix: prefix))?.code
                    == .malformed)
        }
    }

    @Test func entriesThatAddUpPastTheLargestAreMalformed() {
        let cases: [[(NodeID, UInt64)]] = [
            [(Self.low, Self.largest), (Self.high, 1)], [(Self.low, 1 << 62), (Self.high, 1 << 62)],
            [(Self.low, Self.largest), (Self.high, Self.largest)],
        ]
        for entries in cases {
            #expect(Self.error(Self.versions(entries))?.code == .malformed, "\(entries)")
            #expect(Self.error(Self.versions(entries, tag: 0x12, prefix: [1, 1]))?.code == .malformed, "\(entries)")
        }
    }

    @Test func theLargestNumbersAreRead() throws {
        let one = VersionVector([Self.low: Self.largest])
        let split = VersionVector([Self.low: Self.largest - 7, Self.high: 7])
        for message in [
            SyncMessage.versions(one), .versions(split), .batch(number: Self.largest, frames: [1, 2]),
            .acknowledge(number: Self.largest, applied: Self.largest, versions: split),
        ] {
            #expect(try SyncMessage(decoding: message.encoded) == message, "\(message)")
        }
        #expect(try SyncMessage(decoding: Self.versions([(Self.low, Self.largest)])) == .versions(one))
    }

    @Test(arguments: outOfRange)
    func aBatchNumberPastTheLargestIsMalformed(number: UInt64) {
        var writer = ByteWriter()
        writer.write(UInt8(0x11))
        writer.write(varint: number)
        writer.write(bytes: Array("WAYPOSTB".utf8))
        let error = Self.error(writer.bytes)
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("batch number of \(number)") == true, "\(String(describing: error))")
    }

    @Test(arguments: outOfRange)
    func anAcknowledgementPastTheLargestIsMalformed(number: UInt64) throws {
        // The batch number, then the count of changes applied.
        #expect(Self.error(Self.versions([], tag: 0x12, prefix: [number, 1]))?.code == .malformed)
        #expect(Self.error(Self.versions([], tag: 0x12, prefix: [1, number]))?.code == .malformed)
        #expect(
            try SyncMessage(decoding: Self.versions([], tag: 0x12, prefix: [Self.largest, Self.largest]))
                == .acknowledge(number: Self.largest, applied: Self.largest, versions: VersionVector()))
    }
}
