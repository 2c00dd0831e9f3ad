import Testing
import WaypostCrypto
import WaypostCore
import WaypostTrust

@testable import WaypostBundle

/// Writing a bundle's frames and reading them back gives the same bundle, byte for byte.
@Suite struct BundleRoundTripTests {
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func randomBundle(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let bundle = BundleSamples.random(
            changeCount: Int.random(in: 0...400, using: &generator),
            originCount: Int.random(in: 2...6, using: &generator),
            longestRun: Int.random(in: 1...60, using: &generator), using: &generator)
        try expectRoundTrip(bundle)
    }

    @Test func randomBundlesUseEveryEncoding() {
        // The random bundles above exercise every flag and every frame type, not only some.
        var flags: UInt8 = 0
        var operations: Set<UInt8> = []
        var frameTypes: Set<UInt8> = []
        for seed in 1...40 as ClosedRange<UInt64> {
            var generator = SeededGenerator(seed: seed)
            let bundle = BundleSamples.random(
                changeCount: Int.random(in: 0...400, using: &generator),
                originCount: Int.random(in: 2...6, using: &generator),
                longestRun: Int.random(in: 1...60, using: &generator), using: &generator)
            for frame in Frame.split(BundleWriter.encode(bundle)) {
                frameTypes.insert(frame.type)
                guard frame.type == FrameType.changes.rawValue else { continue }
                for change in Self.changeFlags(frame) {
                    flags |= change & ~0x07
                    operations.insert(change & 0x07)
                }
            }
        }
        #expect(flags == ChangeFlags.known & ~0x07)
        #expect(operations == [1, 2, 3, 4, 5])
        #expect(frameTypes == [1, 2, 3, 4, 0x7F])
    }

    /// A sender sizes batches by ``BundleWriter/encodedSizeBound(_:)``, so it must never be below what a
    /// change takes in its frame: for every operation, erased or not, with a record key and a signature.
    @Test func theSizeBoundCoversEveryKindOfChange() throws {
        let origin = BundleSamples.sender
        let superseded = [Dot(origin: origin, sequence: 1), Dot(origin: BundleSamples.otherKeys.publicKey, sequence: 1 << 40)]
        let operations: [WaypostCore.Operation] = [
            .assign(value: "", supersedes: superseded), .insert(element: ""), .remove(element: "", supersedes: superseded),
            .increment(by: 0), .append(entry: ""), .assign(value: String(repeating: "v", count: 300), supersedes: []),
            .increment(by: .min),
        ]
        for operation in operations {
            for erased in [false, true] {
                let dot = Dot(origin: origin, sequence: Dot.maximumSequence - 2)
                let change = Change(
                    dot: dot, timestamp: HybridTimestamp(rawValue: 1 << 62), collection: .service, record: RecordID.random(),
                    field: "household.abcdefgh.given_name", operation: operation)
                var batch = ChangeBatch(changes: [change], recordKeys: [dot: Array(repeating: 1, count: 32)], signatures: [dot: Array(repeating: 2, count: 64)])
                if erased { batch.erasedDigests[dot] = Array(repeating: 3, count: 32) }
                let bundle = Bundle(sender: origin, createdAt: 0, senderVersions: VersionVector(), batch: batch)
                let frame = try #require(Frame.split(BundleWriter.encode(bundle)).first { $0.type == FrameType.changes.rawValue })
                #expect(frame.payload.count <= 30 + BundleWriter.encodedSizeBound(change), "\(operation), erased: \(erased)")
            }
        }
    }

    @Test func emptyBundle() throws {
        let bundle = BundleSamples.bundle([])
        let bytes = try expectRoundTrip(bundle)
        // Magic, version, a header with a one-node table and no versions, an end frame.
        #expect(bytes.count == 10 + (5 + 32 + 8 + 1 + 32 + 1 + 4) + (5 + 2 + 4))
        #expect(Frame.split(bytes).map(\.type) == [FrameType.header.rawValue, FrameType.end.rawValue])
    }

    @Test func certificatesFollowTheHeaderInOrder() throws {
        let certificates = BundleSamples.certificates + BundleSamples.certificates.reversed()
        let bundle = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(),
            batch: BundleSamples.example.batch, certificates: certificates)
        let bytes = try expectRoundTrip(bundle)
        let frames = Frame.split(bytes)
        #expect(
            frames.map(\.type)
                == [FrameType.header.rawValue] + Array(repeating: FrameType.certificate.rawValue, count: 10) + [
                    FrameType.changes.rawValue, FrameType.end.rawValue,
                ])
        #expect(frames[1...10].map(\.payload) == certificates.map(\.bytes))
        // Certificates alone make a bundle too.
        try expectRoundTrip(
            Bundle(
                sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(), batch: ChangeBatch(),
                certificates: [BundleSamples.exampleCertificate]))
    }

    @Test func changesToOneRecordAreCompact() throws {
        // Twenty changes of one write to one record, over two fields: the record is written once and each
        // field path once, and the rest are one-byte flags and references.
        let fields = ["languages", "household.k3b7.given_name"]
        let changes = (1...20).map { sequence in
            Change(
                dot: Dot(origin: BundleSamples.sender, sequence: UInt64(sequence)),
                timestamp: HybridTimestamp(rawValue: UInt64(sequence)), collection: .caseFile,
                record: BundleSamples.record, field: fields[sequence % 2], operation: .insert(element: "ar"))
        }
        let bytes = try expectRoundTrip(BundleSamples.bundle(changes))
        let frame = try #require(Frame.split(bytes).first { $0.type == FrameType.changes.rawValue })
        let flags = Self.changeFlags(frame)
        #expect(flags.first == OperationCode.insert.rawValue)
        #expect(flags[1] == OperationCode.insert.rawValue | ChangeFlags.sameRecord)
        #expect(flags.dropFirst(2).allSatisfy { $0 == 0x02 | ChangeFlags.sameRecord | ChangeFlags.fieldReference })
        // Origin, first and count (3); the first change with its record and field (flags, delta, collection,
        // record, 1 + 25 for its field, 1 + 2 for "ar": 42); the second with its own field (1 + 1 + 10 + 3);
        // then eighteen of flags, delta, field reference and "ar" (1 + 1 + 1 + 3).
        #expect(frame.payload.count == 3 + 42 + 15 + 18 * 6)
    }

    @Test func recordKeysAndSignaturesFollowTheirChange() throws {
        let bundle = BundleSamples.example
        let bytes = try expectRoundTrip(bundle)
        let frame = try #require(Frame.split(bytes).first { $0.type == FrameType.changes.rawValue })
        // The first change ends with the record key, the last with the signature.
        let payload = frame.payload
        let key = try #require(payload.firstRange(of: BundleSamples.recordKey))
        #expect(payload[key.upperBound] == 0x0A)  // the next change's flags: insert, same record
        #expect(Array(payload.suffix(64)) == BundleSamples.exampleSignature)
    }

    @Test func runsLongerThanAFrameAreSplit() throws {
        var generator = SeededGenerator(seed: 4096)
        let long = BundleSamples.randomNode(using: &generator)
        let exact = BundleSamples.randomNode(using: &generator)
        let short = BundleSamples.randomNode(using: &generator)
        // A few hundred random operations, used in turn (generating each afresh is slow in debug).
        let operations = (0..<199).map { _ in
            BundleSamples.randomOperation(nodes: [long, exact, short], using: &generator)
        }
        var batch = ChangeBatch()
        func run(_ origin: NodeID, from first: UInt64, count: Int) {
            for index in 0..<count {
                let dot = Dot(origin: origin, sequence: first + UInt64(index))
                batch.changes.append(
                    Change(
                        dot: dot, timestamp: HybridTimestamp(rawValue: generator.next()), collection: .service,
                        // Runs of 7 changes to one record, which frame boundaries cut through.
                        record: RecordID(bytes: (0..<10).map { UInt8(truncatingIfNeeded: (index / 7) >> (8 * $0)) })!,
                        field: "category", operation: operations[batch.changes.count % operations.count]))
                if index % 7 == 0 { batch.recordKeys[dot] = Array(repeating: UInt8(index & 0xFF), count: 32) }
                if index % 1024 == 1023 || index == count - 1 {
                    batch.signatures[dot] = Array(repeating: UInt8(index & 0xFF), count: 64)
                }
            }
        }
        run(long, from: 1, count: 10_000)
        run(short, from: 7, count: 3)
        run(exact, from: 100, count: 4097)
        run(short, from: 12, count: 1)  // after a gap: a new run
        let bundle = Bundle(
            sender: short, createdAt: 1, senderVersions: VersionVector([long: 10_000, exact: 4196, short: 12]),
            batch: batch)

        let bytes = try expectRoundTrip(bundle)
        let frames = Frame.split(bytes).filter { $0.type == FrameType.changes.rawValue }
        let runs = frames.map { frame in
            var reader = ByteReader(frame.payload)
            return [try! reader.readVarint(), try! reader.readVarint(), try! reader.readVarint()]
        }
        // [origin index, first sequence, count]; the node table is sender, versions (sorted), then origins.
        let table = ([short] + [long, exact, short].sorted()).reduce(into: [NodeID]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        let index = { (node: NodeID) in UInt64(table.firstIndex(of: node)!) }
        #expect(
            runs == [
                [index(long), 1, 4096], [index(long), 4097, 4096], [index(long), 8193, 1808],
                [index(short), 7, 3],
                [index(exact), 100, 4096], [index(exact), 4196, 1],
                [index(short), 12, 1],
            ])
        // Each frame starts afresh: its first change names its record and its field.
        for frame in frames {
            let first = try #require(Self.changeFlags(frame).first)
            #expect(first & (ChangeFlags.sameRecord | ChangeFlags.fieldReference) == 0)
        }
    }

    @Test func largeValuesSplitRunsToKeepFramesUnderTheLimit() throws {
        // 300 entries of 60,000 bytes: about 18 MB, more than one frame may hold (16 MiB).
        let entry = String(repeating: "x", count: 60_000)
        var batch = ChangeBatch()
        for sequence in 1...300 as ClosedRange<UInt64> {
            let dot = Dot(origin: BundleSamples.sender, sequence: sequence)
            batch.changes.append(
                Change(
                    dot: dot, timestamp: HybridTimestamp(rawValue: sequence), collection: .caseFile,
                    record: BundleSamples.record, field: "notes", operation: .append(entry: entry)))
            batch.signatures[dot] = Array(repeating: 0x5A, count: 64)
        }
        let bundle = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector([BundleSamples.sender: 300]),
            batch: batch)
        let bytes = try expectRoundTrip(bundle)
        let frames = Frame.split(bytes).filter { $0.type == FrameType.changes.rawValue }
        #expect(frames.count == 2)
        #expect(frames.allSatisfy { $0.payload.count <= BundleLimits.framePayload })
    }

    @Test func valuesAtEveryLimit() throws {
        let nodes = (0..<5).map { index in NodeID(bytes: Array(repeating: UInt8(index), count: 32)) }
        let longest = String(repeating: "é", count: BundleLimits.string / 2)  // 65,536 bytes of UTF-8
        let manyDots = (1...UInt64(BundleLimits.supersedes)).map { Dot(origin: nodes[Int($0 % 5)], sequence: $0) }
        let operations: [WaypostCore.Operation] = [
            .assign(value: longest, supersedes: manyDots),
            .assign(value: "", supersedes: []),
            .remove(element: "", supersedes: [Dot(origin: nodes[4], sequence: Dot.maximumSequence)]),
            .insert(element: longest),
            .append(entry: "\u{0}"),
            .increment(by: .min), .increment(by: .max), .increment(by: 0), .increment(by: -1),
        ]
        // The highest sequence numbers a run can carry: first + count - 1 <= 2^63 - 1.
        let first = Dot.maximumSequence - UInt64(operations.count - 1)
        let timestamps: [UInt64] = [.max, 0, .max, 1, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0, .max, 0]
        var batch = ChangeBatch()
        for index in operations.indices {
            let dot = Dot(origin: nodes[0], sequence: first + UInt64(index))
            batch.changes.append(
                Change(
                    dot: dot, timestamp: HybridTimestamp(rawValue: timestamps[index]), collection: .caseFile,
                    record: try! RecordID(parsing: "7777-7777-7777-7777"), field: longest,
                    operation: operations[index]))
            batch.recordKeys[dot] = Array(repeating: 0xFF, count: 32)
            batch.signatures[dot] = Array(repeating: 0xFF, count: 64)
        }
        // Entries that add up to 2^63 - 1, the most a vector may hold.
        let versions = VersionVector([nodes[0]: Dot.maximumSequence - 5, nodes[1]: 1, nodes[3]: 4])
        try expectRoundTrip(
            Bundle(
                sender: nodes[2], createdAt: .max, senderVersions: versions, batch: batch,
                certificates: [BundleSamples.certificates[2]]))  // a 64-byte name
    }

    @Test func interleavedOriginsDecodeInLinearTime() throws {
        // Alternating origins make one frame per change. The reader once reserved exactly the capacity
        // each frame needed, copying every change read so far at every frame: quadratic in the frames.
        func interleaved(_ count: Int) -> Bundle {
            BundleSamples.bundle(
                (0..<count).map { (index: Int) -> Change in
                    let origin = index % 2 == 0 ? BundleSamples.sender : BundleSamples.other
                    return Change(
                        dot: Dot(origin: origin, sequence: UInt64(index / 2 + 1)),
                        timestamp: HybridTimestamp(rawValue: UInt64(index)), collection: .caseFile,
                        record: BundleSamples.record, field: "languages", operation: .insert(element: "ar"))
                })
        }
        let (small, large) = (interleaved(6_000), interleaved(24_000))
        let (smallBytes, largeBytes) = (BundleWriter.encode(small), BundleWriter.encode(large))
        #expect(Frame.split(largeBytes).count == 24_000 + 2)
        #expect(try BundleReader.decode(largeBytes) == large)

        let clock = ContinuousClock()
        var smallTime = Duration.seconds(1000)
        var largeTime = Duration.seconds(1000)
        for _ in 0..<3 {
            smallTime = min(smallTime, clock.measure { _ = try? BundleReader.decode(smallBytes) })
            largeTime = min(largeTime, clock.measure { _ = try? BundleReader.decode(largeBytes) })
        }
        // Linear: four times the frames, about four times the time. Quadratic, as it was: sixteen times.
        #expect(largeTime < smallTime * 8, "four times the frames took \(largeTime / smallTime) times as long")
    }

    // MARK: Helpers

    /// Checks that `bundle` survives a round trip, strings byte for byte, and that writing what was read
    /// gives the same bytes again. Returns the bytes.
    @discardableResult
    func expectRoundTrip(_ bundle: Bundle, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let bytes = BundleWriter.encode(bundle)
        let decoded = try BundleReader.decode(bytes)
        #expect(decoded == bundle, sourceLocation: sourceLocation)
        #expect(decoded.batch.recordKeys == bundle.batch.recordKeys, sourceLocation: sourceLocation)
        #expect(decoded.batch.signatures == bundle.batch.signatures, sourceLocation: sourceLocation)
        #expect(decoded.certificates == bundle.certificates, sourceLocation: sourceLocation)
        // `==` on String is canonical equivalence; the bytes must survive exactly.
        let utf8 = { (change: Change) -> [[UInt8]] in
            [Array(change.field.utf8), Array(change.operation.argument.utf8)]
        }
        let sent: [[[UInt8]]] = bundle.changes.map(utf8)
        let received: [[[UInt8]]] = decoded.changes.map(utf8)
        #expect(received == sent, sourceLocation: sourceLocation)
        #expect(BundleWriter.encode(decoded) == bytes, sourceLocation: sourceLocation)
        return bytes
    }

    /// The flags byte of each change in a changes frame, found by walking the frame with §3.4's rules.
    static func changeFlags(_ frame: Frame) -> [UInt8] {
        var reader = ByteReader(frame.payload)
        _ = try! reader.readVarint()
        _ = try! reader.readVarint()
        let count = try! reader.readVarint()
        var flags: [UInt8] = []
        for _ in 0..<count {
            let flag = try! reader.readByte()
            flags.append(flag)
            _ = try! reader.readZigzag()
            if flag & ChangeFlags.sameRecord == 0 { _ = try! reader.readBytes(11) }
            if flag & ChangeFlags.fieldReference != 0 {
                _ = try! reader.readVarint()
            } else {
                _ = try! reader.readLengthPrefixed(limit: .max)
            }
            let erased = flag & ChangeFlags.erased != 0
            switch flag & 0x07 {
            case 1, 3:
                _ = erased ? try! reader.readBytes(32) : try! reader.readLengthPrefixed(limit: .max)
                let dots = try! reader.readVarint()
                for _ in 0..<dots {
                    _ = try! reader.readVarint()
                    _ = try! reader.readVarint()
                }
            case 4: _ = erased ? try! reader.readBytes(32).count : Int(try! reader.readZigzag())
            default: _ = erased ? try! reader.readBytes(32) : try! reader.readLengthPrefixed(limit: .max)
            }
            if flag & ChangeFlags.recordKey != 0 { _ = try! reader.readBytes(32) }
            if flag & ChangeFlags.signature != 0 { _ = try! reader.readBytes(64) }
        }
        precondition(reader.isAtEnd)
        return flags
    }
}
