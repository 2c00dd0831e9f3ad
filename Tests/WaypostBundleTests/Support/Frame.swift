import WaypostCore

@testable import WaypostBundle

/// One frame of a bundle (`Protocol/bundle.md` §3.2), for tests that take bundles apart and build them by
/// hand, with lengths and CRCs right so that the check a test reaches is the one it is named after.
struct Frame: Hashable {
    var type: UInt8
    var payload: [UInt8]

    /// The frame's bytes with a correct length and CRC-32C.
    var bytes: [UInt8] {
        // Plain array appends rather than `ByteWriter`: the fuzz test makes a great many frames.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 9)
        bytes.append(type)
        bytes.append(contentsOf: Self.bigEndian(UInt32(payload.count)))
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: Self.bigEndian(CRC32C.checksum(bytes, 0..<bytes.count)))
        return bytes
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// The frames of well-formed frame bytes (the tests' own output; it traps on anything else).
    static func split(_ bytes: [UInt8]) -> [Frame] {
        var reader = ByteReader(bytes, range: 10..<bytes.count)
        var frames: [Frame] = []
        while !reader.isAtEnd {
            let type = try! reader.readByte()
            let length = try! reader.readUInt32()
            frames.append(Frame(type: type, payload: try! reader.readBytes(Int(length))))
            _ = try! reader.readUInt32()
        }
        return frames
    }

    /// Where each frame starts in well-formed frame bytes.
    static func offsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var start = 10
        for frame in split(bytes) {
            offsets.append(start)
            start += 9 + frame.payload.count
        }
        return offsets
    }

    /// Frame bytes: the magic, `version`, then `frames`, every length and CRC correct.
    static func join(_ frames: [Frame], version: UInt16 = Bundle.formatVersion) -> [UInt8] {
        var bytes = Bundle.magic + [UInt8(version >> 8), UInt8(version & 0xFF)]
        for frame in frames { bytes.append(contentsOf: frame.bytes) }
        return bytes
    }

    /// A header frame for `nodes`, with the first as sender and the given version vector entries
    /// (node index, sequence).
    static func header(nodes: [NodeID], versions: [(UInt64, UInt64)] = [], createdAt: UInt64 = 0) -> Frame {
        var payload = ByteWriter()
        payload.write(bytes: nodes[0].bytes)
        payload.write(bigEndian: createdAt)
        payload.write(varint: UInt64(nodes.count))
        for node in nodes { payload.write(bytes: node.bytes) }
        payload.write(varint: UInt64(versions.count))
        for (index, sequence) in versions {
            payload.write(varint: index)
            payload.write(varint: sequence)
        }
        return Frame(type: FrameType.header.rawValue, payload: payload.bytes)
    }

    /// An end frame that counts `frames` frames and `changes` changes.
    static func end(frames: UInt64, changes: UInt64) -> Frame {
        var payload = ByteWriter()
        payload.write(varint: frames)
        payload.write(varint: changes)
        return Frame(type: FrameType.end.rawValue, payload: payload.bytes)
    }

    /// A certificate frame.
    static func certificate(_ bytes: [UInt8]) -> Frame {
        Frame(type: FrameType.certificate.rawValue, payload: bytes)
    }

    /// A directive frame holding `bytes` as they are.
    static func directive(_ bytes: [UInt8]) -> Frame {
        Frame(type: FrameType.directive.rawValue, payload: bytes)
    }

    /// A changes frame: origin index, first sequence, count, then `body` (the changes' bytes) as given.
    static func changes(origin: UInt64, first: UInt64, count: UInt64, body: [UInt8]) -> Frame {
        var payload = ByteWriter()
        payload.write(varint: origin)
        payload.write(varint: first)
        payload.write(varint: count)
        payload.write(bytes: body)
        return Frame(type: FrameType.changes.rawValue, payload: payload.bytes)
    }

    /// How a hand-built change names its field.
    enum Field {
        /// A string: the bytes after the length.
        case literal([UInt8])
        /// An index into the frame's field table (the flags must then include 0x40).
        case reference(UInt64)
    }

    /// The bytes of one change (§3.4), exactly as given: `flags`, the timestamp delta, the collection and
    /// record unless `record` is nil (for the same-record flag), the field, `payload` (the operation's
    /// fields after its code), then `trailer` (a record key and signature, or anything).
    static func change(
        flags: UInt8, delta: Int64 = 2, collection: UInt8 = 1, record: [UInt8]? = Array(repeating: 0, count: 10),
        field: Field = .literal(Array("notes".utf8)), payload: [UInt8], trailer: [UInt8] = []
    ) -> [UInt8] {
        var body = ByteWriter()
        body.write(flags)
        body.write(zigzag: delta)
        if let record {
            body.write(collection)
            body.write(bytes: record)
        }
        switch field {
        case .literal(let bytes): body.write(lengthPrefixed: bytes)
        case .reference(let index): body.write(varint: index)
        }
        body.write(bytes: payload)
        body.write(bytes: trailer)
        return body.bytes
    }

    /// The bytes of one change with no flags but its operation code: `operation` is the code, then the
    /// operation's fields.
    static func change(
        delta: Int64 = 2, collection: UInt8 = 1, record: [UInt8] = Array(repeating: 0, count: 10),
        field: [UInt8] = Array("notes".utf8), operation: [UInt8]
    ) -> [UInt8] {
        change(
            flags: operation.first ?? 0, delta: delta, collection: collection, record: record, field: .literal(field),
            payload: Array(operation.dropFirst()))
    }
}
