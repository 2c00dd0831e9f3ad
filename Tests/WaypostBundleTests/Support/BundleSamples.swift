import WaypostCore

@testable import WaypostBundle

/// Bundles the tests share: the worked example of `Protocol/bundle.md` §7 and random bundles.
enum BundleSamples {
    /// The example's sender: the key `00 01 02 … 1f`.
    static let sender = NodeID(bytes: (0..<32).map { UInt8($0) })
    /// A second node, whose value the example's first change overwrites: the key `e0 e1 … ff`.
    static let other = NodeID(bytes: (0..<32).map { UInt8(0xE0 + $0) })
    /// The case file the example edits.
    static let record = try! RecordID(parsing: "k7f3-m2q4-x4c2-ab5d")
    /// The millisecond of the example's first change (2026-11-18T07:33:20.000Z).
    static let milliseconds: UInt64 = 1_795_000_000_000

    /// The worked example: three changes of the sender to one case file.
    static let example = Bundle(
        sender: sender,
        createdAt: milliseconds + 60_000,
        senderVersions: VersionVector([sender: 3, other: 7]),
        changes: [
            Change(
                dot: Dot(origin: sender, sequence: 1),
                timestamp: HybridTimestamp(milliseconds: milliseconds, counter: 0),
                collection: .caseFile, record: record, field: "given_name",
                operation: .assign(value: "Amina", supersedes: [Dot(origin: other, sequence: 7)])),
            Change(
                dot: Dot(origin: sender, sequence: 2),
                timestamp: HybridTimestamp(milliseconds: milliseconds, counter: 1),
                collection: .caseFile, record: record, field: "languages",
                operation: .insert(element: "ar")),
            Change(
                dot: Dot(origin: sender, sequence: 3),
                timestamp: HybridTimestamp(milliseconds: milliseconds + 1500, counter: 0),
                collection: .caseFile, record: record, field: "notes",
                operation: .append(entry: "Seen at the clinic")),
        ])

    /// A random bundle: `changeCount` changes from `originCount` origins, in runs of up to `longestRun`
    /// consecutive sequence numbers, with every operation kind, gaps, wrapping timestamps and extreme
    /// values mixed in.
    static func random(
        changeCount: Int, originCount: Int, longestRun: Int, using generator: inout SeededGenerator
    ) -> Bundle {
        let origins = (0..<originCount).map { _ in randomNode(using: &generator) }
        // Nodes that appear only in the version vector or as superseded dots.
        let bystanders = (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomNode(using: &generator) }
        let everyone = origins + bystanders
        var next: [NodeID: UInt64] = [:]
        for (index, origin) in origins.enumerated() {
            // One origin near the top of the sequence space, to exercise the reader's overflow bound.
            next[origin] =
                index == 1 ? UInt64.max - UInt64(5 * changeCount + 10) : UInt64.random(in: 1...5000, using: &generator)
        }

        var changes: [Change] = []
        while changes.count < changeCount {
            let origin = origins.randomElement(using: &generator)!
            if Int.random(in: 0..<5, using: &generator) == 0 {
                next[origin]! += UInt64.random(in: 1...3, using: &generator)
            }
            let length = min(Int.random(in: 1...longestRun, using: &generator), changeCount - changes.count)
            var timestamp = randomTimestamp(using: &generator)
            let wild = Bool.random(using: &generator)
            for _ in 0..<length {
                let sequence = next[origin]!
                next[origin]! += 1
                changes.append(
                    Change(
                        dot: Dot(origin: origin, sequence: sequence), timestamp: timestamp,
                        collection: RecordCollection.allCases.randomElement(using: &generator)!,
                        record: RecordID.random(using: &generator),
                        field: fields.randomElement(using: &generator)!,
                        operation: randomOperation(nodes: everyone, using: &generator)))
                timestamp =
                    wild
                    ? randomTimestamp(using: &generator)
                    : HybridTimestamp(rawValue: timestamp.rawValue &+ UInt64.random(in: 0...100_000, using: &generator))
            }
        }

        var versions = VersionVector()
        for node in everyone where Bool.random(using: &generator) {
            versions.advance(node, to: UInt64.random(in: 1...UInt64.max, using: &generator))
        }
        let sender = Bool.random(using: &generator) ? origins[0] : randomNode(using: &generator)
        return Bundle(
            sender: sender, createdAt: UInt64.random(in: 0...UInt64.max, using: &generator), senderVersions: versions,
            changes: changes)
    }

    static func randomNode(using generator: inout SeededGenerator) -> NodeID {
        NodeID(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private static let fields = [
        "given_name", "languages", "notes", "household.k3b7.given_name", "occupied", "", "é",
    ]

    private static let texts = [
        "", "Amina", "ar", "fr", "Seen at the clinic", "Ω≈ç√", "日本語のメモ", "👩‍👩‍👧", "e\u{301}", "\u{0}", "a\nb",
        "{\"purpose\":\"referral\"}",
    ]

    static func randomText(using generator: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:
            let length = Int.random(in: 0...600, using: &generator)
            let ascii = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next() % 95 + 0x20) }
            return String(decoding: ascii, as: UTF8.self)
        case 1:
            return String(
                String.UnicodeScalarView(
                    (0..<Int.random(in: 1...20, using: &generator)).compactMap { _ in
                        Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &generator))
                    }))
        default:
            return texts.randomElement(using: &generator)!
        }
    }

    static func randomTimestamp(using generator: inout SeededGenerator) -> HybridTimestamp {
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: HybridTimestamp(rawValue: [0, 1, UInt64.max, UInt64.max - 1].randomElement(using: &generator)!)
        case 1: HybridTimestamp(rawValue: UInt64.random(in: 0...UInt64.max, using: &generator))
        default:
            HybridTimestamp(
                milliseconds: UInt64.random(in: 1_600_000_000_000...1_900_000_000_000, using: &generator),
                counter: UInt16.random(in: 0...3, using: &generator))
        }
    }

    static func randomOperation(nodes: [NodeID], using generator: inout SeededGenerator) -> Operation {
        func dots() -> [Dot] {
            (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                let sequence: UInt64 =
                    Bool.random(using: &generator)
                    ? UInt64.random(in: 1...100, using: &generator)
                    : UInt64.random(in: 1...UInt64.max, using: &generator)
                return Dot(origin: nodes.randomElement(using: &generator)!, sequence: sequence)
            }
        }
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: return .assign(value: randomText(using: &generator), supersedes: dots())
        case 1: return .insert(element: randomText(using: &generator))
        case 2: return .remove(element: randomText(using: &generator), supersedes: dots())
        case 3:
            let amounts: [Int64] = [.min, .max, -1, 0, 1, Int64.random(in: .min ... .max, using: &generator)]
            return .increment(by: amounts.randomElement(using: &generator)!)
        default: return .append(entry: randomText(using: &generator))
        }
    }
}

/// One frame of a bundle, for tests that take bundles apart and put them back together.
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

    /// The frames of a well-formed bundle (the tests' own output; it traps on anything else).
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

    /// A bundle made of `frames` after the magic and `version`, every length and CRC correct.
    static func join(_ frames: [Frame], version: UInt16 = 1) -> [UInt8] {
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

    /// A changes frame: origin index, first sequence, count, then `body` (the changes' bytes) as given.
    static func changes(origin: UInt64, first: UInt64, count: UInt64, body: [UInt8]) -> Frame {
        var payload = ByteWriter()
        payload.write(varint: origin)
        payload.write(varint: first)
        payload.write(varint: count)
        payload.write(bytes: body)
        return Frame(type: FrameType.changes.rawValue, payload: payload.bytes)
    }

    /// The bytes of one change whose operation bytes (code and payload) are `operation`.
    static func change(
        delta: Int64 = 2, collection: UInt8 = 1, record: [UInt8] = Array(repeating: 0, count: 10),
        field: [UInt8] = Array("notes".utf8), operation: [UInt8]
    ) -> [UInt8] {
        var body = ByteWriter()
        body.write(zigzag: delta)
        body.write(collection)
        body.write(bytes: record)
        body.write(lengthPrefixed: field)
        body.write(bytes: operation)
        return body.bytes
    }
}
