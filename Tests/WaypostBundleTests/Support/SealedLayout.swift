import WaypostCore

/// Where the parts of a well-formed sealed container are (`Protocol/bundle.md` §10.1), found by the tests'
/// own reading of the specification rather than by ``WaypostBundle/SealedBundle``: so that tests can take a
/// container apart, check the signature input by hand, and forge one.
struct SealedLayout {
    /// The bytes of one recipient slot: a sealed box (48) of content key, sender and signature (128).
    static let slotLength = 48 + 32 + 32 + 64

    /// Where the recipient count is.
    var count: Range<Int>
    /// Each recipient's id and slot.
    var recipients: [(id: Range<Int>, slot: Range<Int>)]
    /// The secretstream, to the end.
    var stream: Range<Int>

    /// The layout of `bytes` (the tests' own output; it traps on anything else).
    init(_ bytes: [UInt8]) {
        var reader = ByteReader(bytes, range: 10..<bytes.count)
        let recipientCount = try! reader.readVarint()
        count = 10..<reader.offset
        recipients = []
        for _ in 0..<recipientCount {
            let id = reader.offset..<(reader.offset + 32)
            let slot = id.upperBound..<(id.upperBound + Self.slotLength)
            _ = try! reader.readBytes(32 + Self.slotLength)
            recipients.append((id, slot))
        }
        stream = reader.offset..<bytes.count
    }

    /// The recipients' ids.
    func recipientIDs(in bytes: [UInt8]) -> [NodeID] {
        recipients.map { NodeID(bytes: Array(bytes[$0.id])) }
    }

    /// The part of the container `position` is in.
    func region(of position: Int) -> Region {
        if position < 8 { return .magic }
        if position < 10 { return .version }
        if count.contains(position) { return .count }
        for (index, recipient) in recipients.enumerated() {
            if recipient.id.contains(position) { return .recipientID(index) }
            if recipient.slot.contains(position) { return .slot(index) }
        }
        return .stream
    }

    enum Region: Hashable {
        case magic, version, count
        case recipientID(Int)
        case slot(Int)
        case stream
    }

    /// The container `recipients` (id and slot bytes) and `stream` make, after the magic and version 2.
    static func assemble(recipients: [(id: [UInt8], slot: [UInt8])], stream: [UInt8], version: UInt16 = 2) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(bytes: Array("WAYPOSTB".utf8))
        writer.write(bigEndian: version)
        writer.write(varint: UInt64(recipients.count))
        for recipient in recipients {
            writer.write(bytes: recipient.id)
            writer.write(bytes: recipient.slot)
        }
        writer.write(bytes: stream)
        return writer.bytes
    }
}
