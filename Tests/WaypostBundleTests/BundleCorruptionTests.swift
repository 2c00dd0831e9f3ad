import Testing
import WaypostTesting
import WaypostCore
import WaypostTrust

@testable import WaypostBundle

/// Damaged and malformed frames are refused as a whole, with the code that says why, and never crash.
///
/// The structural cases are built by hand with correct lengths and CRCs, so that the check they reach
/// is the one they are named after rather than the checksum.
@Suite struct BundleCorruptionTests {
    static let example = BundleWriter.encode(BundleSamples.example)

    // MARK: Damage: truncation, flipped bytes, extra bytes

    @Test func everyTruncationIsRefused() {
        let bytes = Self.example
        for length in 0..<bytes.count {
            let expected: BundleError.Code = length < Bundle.magic.count ? .notABundle : .truncated
            #expect(Self.code(Array(bytes[0..<length])) == expected, "cut to \(length) bytes")
        }
    }

    @Test(arguments: [0x01, 0x80, 0xFF, 0x5A] as [UInt8])
    func everyFlippedByteIsRefused(mask: UInt8) {
        let bytes = Self.example
        for position in bytes.indices {
            var damaged = bytes
            damaged[position] ^= mask
            let code = Self.code(damaged)
            switch position {
            case 0..<8: #expect(code == .notABundle, "byte \(position)")
            case 8..<10: #expect(code == .unsupportedVersion, "byte \(position)")
            default:
                // A frame's type, payload or CRC fails the CRC. A changed length field either fails the CRC,
                // runs past the end of the file, or goes over the 16 MiB limit.
                #expect(
                    code == .corrupt || code == .truncated || code == .malformed,
                    "byte \(position): \(String(describing: code))")
                if !Self.isLengthField(position, in: bytes) { #expect(code == .corrupt, "byte \(position)") }
            }
        }
    }

    @Test func everySingleBitFlipIsRefused() {
        let bytes = Self.example
        for position in bytes.indices {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[position] ^= 1 << bit
                #expect(Self.code(damaged) != nil, "byte \(position) bit \(bit)")
            }
        }
    }

    @Test func bytesAfterTheEndFrameAreRefused() {
        #expect(Self.code(Self.example + [0]) == .malformed)
        #expect(Self.code(Self.example + Self.example) == .malformed)
        let frames = Frame.split(Self.example)
        #expect(Self.code(Self.example + frames[2].bytes) == .malformed)
    }

    @Test func aMissingEndFrameIsTruncation() {
        let frames = Frame.split(Self.example)
        #expect(Self.code(Frame.join(Array(frames.dropLast()))) == .truncated)
        #expect(Self.code(Frame.join([frames[0]])) == .truncated)
    }

    // MARK: Magic and version

    @Test func otherFilesAreNotBundles() {
        #expect(Self.code([]) == .notABundle)
        #expect(Self.code(Array("WAYPOST".utf8)) == .notABundle)
        #expect(Self.code(Array("waypostb\u{0}\u{2}".utf8)) == .notABundle)
        #expect(Self.code(Array("{\"changes\": []}".utf8)) == .notABundle)
    }

    @Test func otherVersionsAreRefused() throws {
        let frames = Frame.split(Self.example)
        for version: UInt16 in [0, 1, 3, 0x0100, .max] {
            let error = try #require(Self.error(Frame.join(frames, version: version)))
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("\(version)"))
            // Checked before any frame is looked at.
            #expect(Self.code(Bundle.magic + [UInt8(version >> 8), UInt8(version & 0xFF)]) == .unsupportedVersion)
        }
        #expect(Self.code(Bundle.magic + [0]) == .truncated)
    }

    @Test func theVersionOneExampleIsRefused() throws {
        let error = try #require(Self.error(try ProtocolFiles.hexFile("bundle-v1-example.hex")))
        #expect(error.code == .unsupportedVersion)
    }

    // MARK: Frames

    @Test func oversizedFrameLengthsAreRefused() {
        for length: UInt32 in [UInt32(BundleLimits.framePayload) + 1, 0x8000_0000, .max] {
            var writer = ByteWriter()
            writer.write(bytes: Bundle.magic)
            writer.write(bigEndian: Bundle.formatVersion)
            writer.write(FrameType.header.rawValue)
            writer.write(bigEndian: length)
            // Refused from the length alone, before reading (or waiting for) the payload.
            #expect(Self.code(writer.bytes) == .malformed, "length \(length)")
        }
        // At the limit the length is allowed; the file is then too short for it.
        var writer = ByteWriter()
        writer.write(bytes: Bundle.magic)
        writer.write(bigEndian: Bundle.formatVersion)
        writer.write(FrameType.header.rawValue)
        writer.write(bigEndian: UInt32(BundleLimits.framePayload))
        #expect(Self.code(writer.bytes) == .truncated)
        // A later frame's length too.
        let frames = Frame.split(Self.example)
        var oversized = Frame.join([frames[0]])
        oversized += [FrameType.changes.rawValue, 0x01, 0x00, 0x00, 0x01]
        #expect(Self.code(oversized) == .malformed)
    }

    @Test func aBadChecksumIsCorrupt() {
        var bytes = Self.example
        bytes[bytes.count - 1] ^= 1
        #expect(Self.code(bytes) == .corrupt)
    }

    @Test func unknownFrameTypesAreRefused() {
        let frames = Frame.split(Self.example)
        for type: UInt8 in [0x00, 0x05, 0x06, 0x7E, 0x80, 0x81, 0xFF] {
            for payload in [[], frames[1].payload] {
                let unknown = Frame(type: type, payload: payload)
                let bundle = Frame.join([frames[0], unknown] + frames[1...])
                #expect(Self.code(bundle) == .malformed, "type \(type)")
                #expect(Self.error(bundle)?.message.contains("unknown frame type \(type)") == true)
            }
        }
    }

    @Test func framesOutOfOrderAreRefused() {
        let frames = Frame.split(Self.example)  // header, certificate, changes, end
        let (header, certificate, changes) = (frames[0], frames[1], frames[2])
        #expect(Self.code(Frame.join([changes, header, Frame.end(frames: 2, changes: 3)])) == .malformed)
        #expect(Self.code(Frame.join([certificate, header, Frame.end(frames: 2, changes: 0)])) == .malformed)
        #expect(Self.code(Frame.join([Frame.end(frames: 0, changes: 0)])) == .malformed)
        #expect(Self.code(Frame.join([header, header, changes, Frame.end(frames: 3, changes: 3)])) == .malformed)
        #expect(Self.code(Frame.join([header, changes, header, Frame.end(frames: 3, changes: 3)])) == .malformed)
        // Certificates may come anywhere after the header; the writer puts them right after it.
        #expect(Self.code(Frame.join([header, changes, certificate, Frame.end(frames: 3, changes: 3)])) == nil)
        #expect(
            Self.code(Frame.join([header, certificate, changes, certificate, Frame.end(frames: 4, changes: 3)]))
                == nil)
    }

    @Test func endFrameCountsMustMatch() {
        let frames = Frame.split(Self.example)
        for (frameCount, changeCount) in [(2, 3), (4, 3), (3, 2), (3, 4), (0, 0)] as [(UInt64, UInt64)] {
            let end = Frame.end(frames: frameCount, changes: changeCount)
            #expect(Self.code(Frame.join(Array(frames[0..<3]) + [end])) == .malformed)
        }
        var extra = Frame.end(frames: 3, changes: 3)
        extra.payload.append(0)
        #expect(Self.code(Frame.join(Array(frames[0..<3]) + [extra])) == .malformed)
        #expect(Self.code(Frame.join(Array(frames[0..<3]) + [Frame(type: 0x7F, payload: [3])])) == .malformed)
        // The hand-built frames themselves are right: with the right counts the bundle reads.
        #expect(Self.code(Frame.join(Array(frames[0..<3]) + [Frame.end(frames: 3, changes: 3)])) == nil)
    }

    @Test func extraBytesInAFrameAreRefused() {
        let frames = Frame.split(Self.example)
        for index in [0, 2] {
            var padded = frames
            padded[index].payload.append(0)
            #expect(Self.code(Frame.join(padded)) == .malformed, "frame \(index + 1)")
        }
        // A certificate with a byte after its signature is not a certificate.
        var padded = frames
        padded[1].payload.append(0)
        #expect(Self.code(Frame.join(padded)) == .corrupt)
    }

    // MARK: Certificates

    @Test func badCertificatesAreRefused() throws {
        let frames = Frame.split(Self.example)
        let good = BundleSamples.exampleCertificate.bytes
        func withCertificate(_ bytes: [UInt8]) -> BundleError? {
            Self.error(Frame.join([frames[0], Frame.certificate(bytes), frames[2], frames[3]]))
        }
        #expect(withCertificate(good) == nil)
        // Every byte changed, the length and CRC of the frame recomputed: the certificate's own signature
        // (or its structure) is what refuses it.
        for position in good.indices {
            var changed = good
            changed[position] ^= 0x01
            let error = withCertificate(changed)
            #expect(error?.code == .corrupt, "certificate byte \(position)")
            #expect(error?.message.contains("certificate") == true)
        }
        // Every truncation, and an empty frame.
        for length in 0..<good.count {
            #expect(withCertificate(Array(good[0..<length]))?.code == .corrupt, "certificate cut to \(length)")
        }
        // A name over 64 bytes, or with a length running past the certificate.
        var long = Array(good[0..<72])
        long.append(65)
        long += Array(repeating: UInt8(ascii: "x"), count: 65) + Array(good[(72 + 14)...])
        #expect(withCertificate(long)?.code == .corrupt)
        var unknownRole = good
        unknownRole[71] = 3
        #expect(withCertificate(unknownRole)?.code == .corrupt)
    }

    // MARK: Directives

    @Test func badDirectivesAreRefusedAndGoodOnesRead() throws {
        let frames = Frame.split(Self.example)  // header, certificate, changes, end
        func withDirective(_ bytes: [UInt8]) -> BundleError? {
            Self.error(Frame.join([frames[0], frames[1], Frame.directive(bytes), frames[2], Frame.end(frames: 4, changes: 3)]))
        }
        for good in BundleSamples.directives.map(\.bytes) {
            #expect(withDirective(good) == nil)
            let bundle = try BundleReader.decode(
                Frame.join([frames[0], Frame.directive(good), frames[1], frames[2], Frame.end(frames: 4, changes: 3)]))
            #expect(bundle.directives.map(\.bytes) == [good])
            #expect(bundle.certificates == [BundleSamples.exampleCertificate] && bundle.changes.count == 3)
        }
        let good = BundleSamples.directives[0].bytes
        // Every byte changed, the frame's length and CRC recomputed: the directive itself refuses it.
        for position in good.indices {
            var changed = good
            changed[position] ^= 0x01
            let error = withDirective(changed)
            #expect(error?.code == .corrupt, "directive byte \(position)")
            #expect(error?.message.contains("directive") == true)
        }
        for length in 0..<good.count {
            #expect(withDirective(Array(good[0..<length]))?.code == .corrupt, "directive cut to \(length)")
        }
        #expect(withDirective(good + [0])?.code == .corrupt)
        // Before the header, like any frame but the header.
        #expect(
            Self.code(Frame.join([Frame.directive(good), frames[0], Frame.end(frames: 2, changes: 0)])) == .malformed)
    }

    // MARK: Header

    static let nodes = [BundleSamples.sender, BundleSamples.other]

    @Test func aNodeIndexOutsideTheTableIsRefused() {
        let header = Frame.header(nodes: Self.nodes, versions: [(0, 1)])
        let change = Frame.change(operation: [OperationCode.insert.rawValue, 1, 0x61])
        // As the origin of a run.
        #expect(Self.bundle([header, Frame.changes(origin: 2, first: 1, count: 1, body: change)]) == .malformed)
        #expect(Self.bundle([header, Frame.changes(origin: 1 << 40, first: 1, count: 1, body: change)]) == .malformed)
        #expect(Self.bundle([header, Frame.changes(origin: .max, first: 1, count: 1, body: change)]) == .malformed)
        // In the version vector.
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(2, 1)])]) == .malformed)
        // As a superseded dot's node, in an assign and in a remove.
        let assign = Frame.change(operation: [OperationCode.assign.rawValue, 1, 0x61, 1, 2, 1])
        #expect(Self.bundle([header, Frame.changes(origin: 0, first: 1, count: 1, body: assign)]) == .malformed)
        let remove = Frame.change(operation: [OperationCode.remove.rawValue, 1, 0x61, 2, 1, 1, 9, 1])
        #expect(Self.bundle([header, Frame.changes(origin: 0, first: 1, count: 1, body: remove)]) == .malformed)
        // The same bundles with index 1 are fine.
        #expect(Self.bundle([header, Frame.changes(origin: 1, first: 1, count: 1, body: change)]) == nil)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(1, 1)])]) == nil)
        let fine = Frame.change(operation: [OperationCode.assign.rawValue, 1, 0x61, 1, 1, 1])
        #expect(Self.bundle([header, Frame.changes(origin: 0, first: 1, count: 1, body: fine)]) == nil)
        // The message says which index.
        let error = Self.error(
            Frame.join([
                header, Frame.changes(origin: 7, first: 1, count: 1, body: change), Frame.end(frames: 2, changes: 1),
            ]))
        #expect(error?.message.contains("node index 7") == true)
    }

    @Test func aRepeatedNodeIsRefused() {
        #expect(Self.bundle([Frame.header(nodes: [BundleSamples.sender, BundleSamples.sender])]) == .malformed)
    }

    @Test func aNodeTableLongerThanItsFrameIsRefused() {
        var payload = ByteWriter()
        payload.write(bytes: BundleSamples.sender.bytes)
        payload.write(bigEndian: UInt64(0))
        payload.write(varint: 3)  // three nodes, but room for one
        payload.write(bytes: BundleSamples.sender.bytes)
        payload.write(varint: 0)
        #expect(Self.bundle([Frame(type: FrameType.header.rawValue, payload: payload.bytes)]) == .malformed)
        // Over the 65,536 node limit, whatever the frame holds.
        var huge = ByteWriter()
        huge.write(bytes: BundleSamples.sender.bytes)
        huge.write(bigEndian: UInt64(0))
        huge.write(varint: UInt64(BundleLimits.nodes) + 1)
        #expect(Self.bundle([Frame(type: FrameType.header.rawValue, payload: huge.bytes)]) == .malformed)
        huge.write(varint: .max)
        #expect(Self.bundle([Frame(type: FrameType.header.rawValue, payload: huge.bytes)]) == .malformed)
    }

    @Test func badVersionVectorsAreRefused() {
        // More entries than nodes, a node twice (also after a zero), a zero sequence.
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(0, 1), (1, 1), (0, 2)])]) == .malformed)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(1, 4), (1, 5)])]) == .malformed)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(1, 0), (1, 5)])]) == .malformed)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(0, 0)])]) == .malformed)
        // Entries up to 2^63 - 1, adding up to at most that (bundle.md §2, "Numbers").
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(0, 1), (1, Dot.maximumSequence - 1)])]) == nil)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(0, 1), (1, Dot.maximumSequence)])]) == .malformed)
        #expect(Self.bundle([Frame.header(nodes: Self.nodes, versions: [(0, 1), (1, .max)])]) == .malformed)
    }

    @Test func aShortHeaderIsRefused() {
        let header = Frame.header(nodes: Self.nodes).payload
        for length in [0, 31, 32, 39, 40, 41, 72] {
            #expect(
                Self.bundle([Frame(type: FrameType.header.rawValue, payload: Array(header[0..<length]))]) == .malformed,
                "header cut to \(length) bytes")
        }
    }

    // MARK: Changes

    static let header = Frame.header(nodes: nodes, versions: [(0, 10)])

    /// The code for a bundle of the usual header and one run of `count` changes of node 0 from `first`.
    static func run(first: UInt64 = 1, count: UInt64 = 1, _ body: [UInt8]) -> BundleError.Code? {
        bundle([header, Frame.changes(origin: 0, first: first, count: count, body: body)], changes: count)
    }

    /// The bundle of the usual header and one run, decoded.
    static func decodeRun(count: UInt64, _ body: [UInt8]) throws -> Bundle {
        try BundleReader.decode(
            Frame.join([
                header, Frame.changes(origin: 0, first: 1, count: count, body: body),
                Frame.end(frames: 2, changes: count),
            ]))
    }

    static let insert: [UInt8] = [OperationCode.insert.rawValue, 2, 0x61, 0x72]

    /// Valid operation fields (after the code) for each operation code.
    static func operationFields(_ code: UInt8, erased: Bool = false) -> [UInt8] {
        // Erased (flag 80): a 32-byte digest in place of the value, element, amount or entry.
        let value: [UInt8] = erased ? Array(repeating: 0x44, count: 32) : [1, 0x61]
        switch code {
        case 1, 3: return value + [1, 1, 4]  // "a", superseding node 1's change 4
        case 4: return erased ? value : [0x03]  // -2
        default: return value
        }
    }

    @Test func aWellFormedHandBuiltRunReads() throws {
        #expect(Self.run(Frame.change(operation: Self.insert)) == nil)
        let bundle = try BundleReader.decode(
            Frame.join([
                Self.header,
                Frame.changes(
                    origin: 0, first: 5, count: 2,
                    body: Frame.change(operation: Self.insert) + Frame.change(delta: -1, operation: Self.insert)),
                Frame.end(frames: 2, changes: 2),
            ]))
        #expect(bundle.changes.map(\.dot.sequence) == [5, 6])
        #expect(bundle.changes.map(\.timestamp.rawValue) == [2, 1])
        #expect(bundle.changes[0].record.text == "aaaa-aaaa-aaaa-aaaa")
        #expect(bundle.batch.recordKeys.isEmpty && bundle.batch.signatures.isEmpty)
    }

    @Test func badRunHeadersAreRefused() {
        let change = Frame.change(operation: Self.insert)
        #expect(Self.run(first: 0, change) == .malformed)  // sequence numbers start at 1
        #expect(Self.run(count: 0, []) == .malformed)  // a run is never empty
        #expect(Self.run(count: 2, change) == .malformed)  // fewer changes than counted
        #expect(Self.run(count: UInt64(change.count) + 1, change) == .malformed)  // more than the bytes could hold
        #expect(Self.run(count: .max, change) == .malformed)
        #expect(Self.run(first: .max, change) == .malformed)  // the last sequence number would overflow
        // Sequence numbers run to 2^63 - 1 (bundle.md §2, "Numbers"): the range of SQLite's INTEGER.
        #expect(Self.run(first: .max - 1, change) == .malformed)
        #expect(Self.run(first: 1 << 63, change) == .malformed)
        #expect(Self.run(first: (1 << 63) + 1, change) == .malformed)
        #expect(Self.run(first: Dot.maximumSequence, change) == nil)
        #expect(Self.run(first: Dot.maximumSequence, count: 2, change + change) == .malformed)
        #expect(Self.run(first: Dot.maximumSequence - 1, count: 2, change + change) == nil)
    }

    @Test func runsOfOneOriginMustAscend() {
        let one = Frame.change(operation: Self.insert)
        let two = one + one
        func twoRuns(_ first: UInt64, _ second: UInt64, origins: (UInt64, UInt64) = (0, 0)) -> BundleError.Code? {
            Self.bundle(
                [
                    Self.header, Frame.changes(origin: origins.0, first: first, count: 2, body: two),
                    Frame.changes(origin: origins.1, first: second, count: 2, body: two),
                ], changes: 4)
        }
        #expect(twoRuns(1, 3) == nil)  // consecutive, as a writer splits a long run
        #expect(twoRuns(1, 9) == nil)  // a gap
        #expect(twoRuns(1, 2) == .malformed)  // overlapping
        #expect(twoRuns(1, 1) == .malformed)  // repeated
        #expect(twoRuns(5, 1) == .malformed)  // backwards
        #expect(twoRuns(5, 1, origins: (0, 1)) == nil)  // another origin's sequence numbers are its own
    }

    @Test func unknownCollectionsAndOperationsAreRefused() {
        for collection: UInt8 in [0, 3, 0xFF] {
            #expect(Self.run(Frame.change(collection: collection, operation: Self.insert)) == .malformed)
        }
        for operation: UInt8 in [0, 6, 7] {
            #expect(Self.run(Frame.change(operation: [operation, 2, 0x61, 0x72])) == .malformed)
        }
        #expect(Self.run(Frame.change(collection: 2, operation: Self.insert)) == nil)
    }

    @Test func everyFlagsByteOfAFirstChangeIsJudgedByItsBits() {
        // A frame's first change with every possible flags byte, followed by the fields its flags call for:
        // refused unless the operation is known, and it neither repeats a record nor refers to a field (the
        // frame has no record and no field table yet).
        for flags in 0...255 as ClosedRange<UInt8> {
            let operation = flags & 0x07
            let field: Frame.Field = flags & ChangeFlags.fieldReference != 0 ? .reference(0) : .literal([0x61])
            var trailer: [UInt8] = []
            if flags & ChangeFlags.recordKey != 0 { trailer += Array(repeating: 0x4B, count: 32) }
            if flags & ChangeFlags.signature != 0 { trailer += Array(repeating: 0x53, count: 64) }
            let change = Frame.change(
                flags: flags, record: flags & ChangeFlags.sameRecord != 0 ? nil : Array(repeating: 0, count: 10),
                field: field, payload: Self.operationFields(operation, erased: flags & ChangeFlags.erased != 0), trailer: trailer)
            let valid =
                (1...5).contains(operation) && flags & (ChangeFlags.sameRecord | ChangeFlags.fieldReference) == 0
            #expect(Self.run(change) == (valid ? nil : .malformed), "flags \(flags)")
        }
    }

    @Test func everyFlagsByteOfALaterChangeIsJudgedByItsBits() throws {
        // After one full change, every flag has a meaning that reads.
        let first = Frame.change(operation: [OperationCode.append.rawValue, 1, 0x61])
        for flags in 0...255 as ClosedRange<UInt8> {
            let operation = flags & 0x07
            let field: Frame.Field = flags & ChangeFlags.fieldReference != 0 ? .reference(0) : .literal([0x62])
            var trailer: [UInt8] = []
            if flags & ChangeFlags.recordKey != 0 { trailer += Array(repeating: 0x4B, count: 32) }
            if flags & ChangeFlags.signature != 0 { trailer += Array(repeating: 0x53, count: 64) }
            let second = Frame.change(
                flags: flags, collection: 2,
                record: flags & ChangeFlags.sameRecord != 0 ? nil : Array(repeating: 0xFF, count: 10), field: field,
                payload: Self.operationFields(operation, erased: flags & ChangeFlags.erased != 0), trailer: trailer)
            let valid = (1...5).contains(operation)
            guard valid else {
                #expect(Self.run(count: 2, first + second) == .malformed, "flags \(flags)")
                continue
            }
            let changes = try Self.decodeRun(count: 2, first + second).batch
            let change = changes.changes[1]
            #expect(change.collection == (flags & ChangeFlags.sameRecord != 0 ? .caseFile : .service))
            #expect(
                change.record.text
                    == (flags & ChangeFlags.sameRecord != 0 ? "aaaa-aaaa-aaaa-aaaa" : "7777-7777-7777-7777"))
            #expect(change.field == (flags & ChangeFlags.fieldReference != 0 ? "notes" : "b"))
            #expect(ChangeChain.operationCode(change.operation) == operation)
            #expect(
                changes.recordKeys[change.dot]
                    == (flags & ChangeFlags.recordKey != 0 ? Array(repeating: 0x4B, count: 32) : nil))
            #expect(
                changes.signatures[change.dot]
                    == (flags & ChangeFlags.signature != 0 ? Array(repeating: 0x53, count: 64) : nil))
            #expect(
                changes.erasedDigests[change.dot]
                    == (flags & ChangeFlags.erased != 0 ? Array(repeating: 0x44, count: 32) : nil))
            if flags & ChangeFlags.erased != 0 { #expect(change.operation.argument.isEmpty || operation == 4) }
        }
    }

    @Test func anErasedValueCutShortIsRefused() {
        for given in [0, 1, 31] {
            let change = Frame.change(
                flags: OperationCode.append.rawValue | ChangeFlags.erased, payload: Array(repeating: 0x44, count: given))
            #expect(Self.run(change) == .malformed || Self.run(change) == .truncated, "\(given) bytes of digest")
        }
    }

    @Test func aRecordKeyOrSignatureCutShortIsRefused() {
        for (flag, length) in [(ChangeFlags.recordKey, 32), (ChangeFlags.signature, 64)] {
            for given in [0, 1, length - 1] {
                let change = Frame.change(
                    flags: OperationCode.insert.rawValue | flag, payload: [1, 0x61],
                    trailer: Array(repeating: 0xAA, count: given))
                #expect(Self.run(change) == .malformed, "flag \(flag), \(given) bytes")
            }
        }
        // Both, in order: the record key, then the signature.
        let both = Frame.change(
            flags: OperationCode.insert.rawValue | ChangeFlags.recordKey | ChangeFlags.signature, payload: [1, 0x61],
            trailer: Array(repeating: 0x4B, count: 32) + Array(repeating: 0x53, count: 64))
        #expect(Self.run(both) == nil)
    }

    @Test func fieldReferencesMustBeInTheFramesTable() throws {
        func literal(_ text: String) -> [UInt8] {
            Frame.change(
                flags: OperationCode.insert.rawValue | ChangeFlags.sameRecord, record: nil,
                field: .literal(Array(text.utf8)),
                payload: [1, 0x61])
        }
        func reference(_ index: UInt64) -> [UInt8] {
            Frame.change(
                flags: OperationCode.insert.rawValue | ChangeFlags.sameRecord | ChangeFlags.fieldReference, record: nil,
                field: .reference(index), payload: [1, 0x61])
        }
        let first = Frame.change(operation: [OperationCode.insert.rawValue, 1, 0x61])  // field "notes": entry 0
        // Entries in the order their literals appear, repeats included.
        let body = first + literal("languages") + literal("notes") + reference(0) + reference(1) + reference(2)
        let bundle = try Self.decodeRun(count: 6, body)
        #expect(bundle.changes.map(\.field) == ["notes", "languages", "notes", "notes", "languages", "notes"])
        #expect(Self.run(count: 4, first + literal("languages") + literal("notes") + reference(3)) == .malformed)
        #expect(Self.run(count: 2, first + reference(1)) == .malformed)
        #expect(Self.run(count: 2, first + reference(.max)) == .malformed)
        #expect(Self.run(count: 1, reference(0)) == .malformed)
        // The table is the frame's own: a second frame starts empty.
        let two = Self.bundle(
            [
                Self.header, Frame.changes(origin: 0, first: 1, count: 1, body: first),
                Frame.changes(origin: 0, first: 2, count: 1, body: reference(0)),
            ], changes: 2)
        #expect(two == .malformed)
        let error = Self.error(
            Frame.join([
                Self.header, Frame.changes(origin: 0, first: 1, count: 2, body: first + reference(5)),
                Frame.end(frames: 2, changes: 2),
            ]))
        #expect(error?.message.contains("field reference 5") == true)
    }

    @Test func theFieldTableHoldsAtMost4096Entries() throws {
        // 4,097 literal fields: the 4,097th is not added, so a reference to index 4096 is refused.
        let count = BundleLimits.fieldsPerFrame + 1
        var body: [UInt8] = []
        for index in 0..<count {
            body += Frame.change(
                flags: OperationCode.insert.rawValue | (index == 0 ? 0 : ChangeFlags.sameRecord),
                record: index == 0 ? Array(repeating: 0, count: 10) : nil, field: .literal(Array("f\(index)".utf8)),
                payload: [1, 0x61])
        }
        func referring(_ index: UInt64) -> [UInt8] {
            body
                + Frame.change(
                    flags: OperationCode.insert.rawValue | ChangeFlags.sameRecord | ChangeFlags.fieldReference,
                    record: nil, field: .reference(index), payload: [1, 0x61])
        }
        let bundle = try Self.decodeRun(count: UInt64(count + 1), referring(4095))
        #expect(bundle.changes.last?.field == "f4095")
        #expect(Self.run(count: UInt64(count + 1), referring(4096)) == .malformed)
    }

    @Test func everyOperationReadsFromHandBuiltBytes() throws {
        let operations: [([UInt8], WaypostCore.Operation)] = [
            (
                [1, 1, 0x61, 2, 0, 3, 1, 9],
                .assign(
                    value: "a",
                    supersedes: [
                        Dot(origin: BundleSamples.sender, sequence: 3), Dot(origin: BundleSamples.other, sequence: 9),
                    ])
            ),
            ([1, 0, 0], .assign(value: "", supersedes: [])),
            ([2, 1, 0x62], .insert(element: "b")),
            (
                [3, 1, 0x62, 1, 1, 4],
                .remove(element: "b", supersedes: [Dot(origin: BundleSamples.other, sequence: 4)])
            ),
            ([4, 0x03], .increment(by: -2)),
            ([4, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .increment(by: .max)),
            ([4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .increment(by: .min)),
            ([5, 2, 0xC3, 0xA9], .append(entry: "é")),
        ]
        for (bytes, operation) in operations {
            let decoded = try Self.decodeRun(count: 1, Frame.change(operation: bytes))
            #expect(decoded.changes.first?.operation == operation)
        }
    }

    @Test func badDotsAreRefused() {
        #expect(Self.run(Frame.change(operation: [1, 0, 1, 0, 0])) == .malformed)  // a dot with sequence 0
        #expect(Self.run(Frame.change(operation: [3, 0, 1, 1, 0])) == .malformed)
        var tooMany = ByteWriter()
        tooMany.write(OperationCode.assign.rawValue)
        tooMany.write(varint: 0)
        tooMany.write(varint: UInt64(BundleLimits.supersedes) + 1)
        for sequence in 1...(BundleLimits.supersedes + 1) {
            tooMany.write(varint: 0)
            tooMany.write(varint: UInt64(sequence))
        }
        #expect(Self.run(Frame.change(operation: tooMany.bytes)) == .malformed)
    }

    @Test func stringsOverTheLimitAreRefused() {
        let atLimit = Array(repeating: UInt8(ascii: "x"), count: BundleLimits.string)
        let overLimit = atLimit + [UInt8(ascii: "x")]
        func append(_ entry: [UInt8]) -> [UInt8] {
            var writer = ByteWriter()
            writer.write(OperationCode.append.rawValue)
            writer.write(lengthPrefixed: entry)
            return writer.bytes
        }
        #expect(Self.run(Frame.change(operation: append(atLimit))) == nil)
        #expect(Self.run(Frame.change(operation: append(overLimit))) == .malformed)
        #expect(Self.run(Frame.change(field: atLimit, operation: Self.insert)) == nil)
        #expect(Self.run(Frame.change(field: overLimit, operation: Self.insert)) == .malformed)
        // A length far beyond the frame, refused from the length alone.
        #expect(Self.run(Frame.change(operation: [5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])) == .malformed)
    }

    @Test func invalidUTF8IsRefused() {
        let invalid: [[UInt8]] = [
            [0xFF], [0xC3], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80],
        ]
        for text in invalid {
            var operation = ByteWriter()
            operation.write(OperationCode.append.rawValue)
            operation.write(lengthPrefixed: text)
            #expect(Self.run(Frame.change(operation: operation.bytes)) == .malformed, "\(text)")
            #expect(Self.run(Frame.change(field: text, operation: Self.insert)) == .malformed, "\(text)")
        }
    }

    @Test func overlongVarintsAreRefused() {
        // 11 bytes, and 10 bytes whose last carries more than the 64th bit.
        let eleven: [UInt8] = Array(repeating: 0x80, count: 10) + [0x00]
        let overflow: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x02]
        for varint in [eleven, overflow] {
            #expect(Self.run(Frame.change(operation: [OperationCode.increment.rawValue] + varint)) == .malformed)
            #expect(
                Self.bundle([Self.header, Frame(type: FrameType.changes.rawValue, payload: [0, 1] + varint)])
                    == .malformed)
            #expect(
                Self.bundle([Self.header], changes: 0, endFrame: Frame(type: 0x7F, payload: varint + [0])) == .malformed
            )
        }
        // The longest valid varint, 2^64 - 1, is fine where a value may be that large.
        let largest: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x01]
        #expect(Self.run(Frame.change(operation: [OperationCode.increment.rawValue] + largest)) == nil)
    }

    @Test func aTruncatedChangeInsideItsFrameIsMalformed() {
        // The frame is complete and its CRC right; the change inside it stops short.
        let change = Frame.change(
            flags: OperationCode.assign.rawValue | ChangeFlags.recordKey | ChangeFlags.signature,
            payload: [5, 0x41, 0x6D, 0x69, 0x6E, 0x61, 0],
            trailer: Array(repeating: 0x4B, count: 32) + Array(repeating: 0x53, count: 64))
        for length in 0..<change.count {
            #expect(Self.run(Array(change[0..<length])) == .malformed, "change cut to \(length) bytes")
        }
        #expect(Self.run(change) == nil)
    }

    // MARK: Helpers

    /// The code `BundleReader` refuses `bytes` with, or nil if it reads them.
    static func code(_ bytes: [UInt8]) -> BundleError.Code? { error(bytes)?.code }

    static func error(_ bytes: [UInt8]) -> BundleError? {
        do {
            _ = try BundleReader.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The code for `frames` followed by a correct end frame (or `endFrame`).
    static func bundle(_ frames: [Frame], changes: UInt64 = 1, endFrame: Frame? = nil) -> BundleError.Code? {
        let changeCount = frames.contains { $0.type == FrameType.changes.rawValue } ? changes : 0
        return code(Frame.join(frames + [endFrame ?? Frame.end(frames: UInt64(frames.count), changes: changeCount)]))
    }

    /// Whether `position` is inside the length field of one of the frames of the well-formed `bytes`.
    static func isLengthField(_ position: Int, in bytes: [UInt8]) -> Bool {
        Frame.offsets(bytes).contains { start in (start + 1)..<(start + 5) ~= position }
    }
}
