import Testing
import WaypostCore

@testable import WaypostBundle

/// Writing a bundle and reading it back gives the same bundle, byte for byte.
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

    @Test func emptyBundle() throws {
        let bundle = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(), changes: [])
        let bytes = try expectRoundTrip(bundle)
        // Magic, version, a header with a one-node table and no versions, an end frame.
        #expect(bytes.count == 10 + (5 + 32 + 8 + 1 + 32 + 1 + 4) + (5 + 2 + 4))
        #expect(Frame.split(bytes).map(\.type) == [FrameType.header.rawValue, FrameType.end.rawValue])
    }

    @Test func runsLongerThanAFrameAreSplit() throws {
        var generator = SeededGenerator(seed: 4096)
        let long = BundleSamples.randomNode(using: &generator)
        let exact = BundleSamples.randomNode(using: &generator)
        let short = BundleSamples.randomNode(using: &generator)
        // A few hundred random operations and records, used in turn (generating each afresh is slow in debug).
        let operations = (0..<199).map { _ in
            BundleSamples.randomOperation(nodes: [long, exact, short], using: &generator)
        }
        let records = (0..<101).map { _ in RecordID.random(using: &generator) }
        var changes: [Change] = []
        func run(_ origin: NodeID, from first: UInt64, count: Int) {
            for index in 0..<count {
                changes.append(
                    Change(
                        dot: Dot(origin: origin, sequence: first + UInt64(index)),
                        timestamp: HybridTimestamp(rawValue: generator.next()),
                        collection: .service, record: records[changes.count % records.count], field: "category",
                        operation: operations[changes.count % operations.count]))
            }
        }
        run(long, from: 1, count: 10_000)
        run(short, from: 7, count: 3)
        run(exact, from: 100, count: 4097)
        run(short, from: 12, count: 1)  // after a gap: a new run
        let bundle = Bundle(
            sender: short, createdAt: 1, senderVersions: VersionVector([long: 10_000, exact: 4196, short: 12]),
            changes: changes)

        let bytes = try expectRoundTrip(bundle)
        let runs = Frame.split(bytes).filter { $0.type == FrameType.changes.rawValue }.map { frame in
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
    }

    @Test func largeValuesSplitRunsToKeepFramesUnderTheLimit() throws {
        // 300 entries of 60,000 bytes: about 18 MB, more than one frame may hold (16 MiB).
        let entry = String(repeating: "x", count: 60_000)
        let changes = (1...300).map { sequence in
            Change(
                dot: Dot(origin: BundleSamples.sender, sequence: UInt64(sequence)),
                timestamp: HybridTimestamp(rawValue: UInt64(sequence)), collection: .caseFile,
                record: BundleSamples.record, field: "notes", operation: .append(entry: entry))
        }
        let bundle = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector([BundleSamples.sender: 300]),
            changes: changes)
        let bytes = try expectRoundTrip(bundle)
        let frames = Frame.split(bytes).filter { $0.type == FrameType.changes.rawValue }
        #expect(frames.count == 2)
        #expect(frames.allSatisfy { $0.payload.count <= BundleLimits.framePayload })
    }

    @Test func valuesAtEveryLimit() throws {
        let nodes = (0..<5).map { index in NodeID(bytes: Array(repeating: UInt8(index), count: 32)) }
        let longest = String(repeating: "é", count: BundleLimits.string / 2)  // 65,536 bytes of UTF-8
        let manyDots = (1...UInt64(BundleLimits.supersedes)).map { Dot(origin: nodes[Int($0 % 5)], sequence: $0) }
        let operations: [Operation] = [
            .assign(value: longest, supersedes: manyDots),
            .assign(value: "", supersedes: []),
            .remove(element: "", supersedes: [Dot(origin: nodes[4], sequence: .max)]),
            .insert(element: longest),
            .append(entry: "\u{0}"),
            .increment(by: .min), .increment(by: .max), .increment(by: 0), .increment(by: -1),
        ]
        // The highest sequence numbers a run can carry: first + count - 1 <= 2^64 - 2.
        let first = UInt64.max - UInt64(operations.count)
        let timestamps: [UInt64] = [.max, 0, .max, 1, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0, .max, 0]
        let changes = operations.indices.map { index in
            Change(
                dot: Dot(origin: nodes[0], sequence: first + UInt64(index)),
                timestamp: HybridTimestamp(rawValue: timestamps[index]), collection: .caseFile,
                record: try! RecordID(parsing: "7777-7777-7777-7777"), field: longest, operation: operations[index])
        }
        let versions = VersionVector([nodes[0]: .max, nodes[1]: 1, nodes[3]: .max - 1])
        try expectRoundTrip(Bundle(sender: nodes[2], createdAt: .max, senderVersions: versions, changes: changes))
    }

    @Test func interleavedOriginsDecodeInLinearTime() throws {
        // Alternating origins make one frame per change. The reader once reserved exactly the capacity
        // each frame needed, copying every change read so far at every frame: quadratic in the frames.
        let count = 24_000
        let changes = (0..<count).map { (index: Int) -> Change in
            let origin = index % 2 == 0 ? BundleSamples.sender : BundleSamples.other
            return Change(
                dot: Dot(origin: origin, sequence: UInt64(index / 2 + 1)),
                timestamp: HybridTimestamp(rawValue: UInt64(index)), collection: .caseFile,
                record: BundleSamples.record, field: "languages", operation: .insert(element: "ar"))
        }
        let interleaved = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(), changes: changes)
        // The same changes grouped by origin: a handful of frames.
        let grouped = Bundle(
            sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(),
            changes: changes.filter { $0.dot.origin == BundleSamples.sender }
                + changes.filter { $0.dot.origin == BundleSamples.other })
        let manyFrames = BundleWriter.encode(interleaved)
        #expect(try BundleReader.decode(manyFrames) == interleaved)
        let fewFrames = BundleWriter.encode(grouped)
        #expect(Frame.split(manyFrames).count == count + 2)
        #expect(Frame.split(fewFrames).count == 2 * (count / 2 / 4096 + 1) + 2)

        let clock = ContinuousClock()
        var manyTime = Duration.seconds(1000)
        var fewTime = Duration.seconds(1000)
        for _ in 0..<2 {
            fewTime = min(fewTime, clock.measure { _ = try? BundleReader.decode(fewFrames) })
            manyTime = min(manyTime, clock.measure { _ = try? BundleReader.decode(manyFrames) })
        }
        // Linear: a little more than the grouped bundle (a frame header and CRC per change). Quadratic,
        // as it was: 6 to 8 times as long at this size, and growing with it.
        #expect(manyTime < fewTime * 3, "one frame per change took \(manyTime / fewTime) times as long")
    }

    /// Checks that `bundle` survives a round trip, strings byte for byte, and that writing what was read
    /// gives the same bytes again. Returns the bytes.
    @discardableResult
    func expectRoundTrip(_ bundle: Bundle, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let bytes = BundleWriter.encode(bundle)
        let decoded = try BundleReader.decode(bytes)
        #expect(decoded == bundle, sourceLocation: sourceLocation)
        // `==` on String is canonical equivalence; the bytes must survive exactly.
        let utf8 = { (change: Change) -> [[UInt8]] in [Array(change.field.utf8), Array(change.operation.argument.utf8)]
        }
        let sent: [[[UInt8]]] = bundle.changes.map(utf8)
        let received: [[[UInt8]]] = decoded.changes.map(utf8)
        #expect(received == sent, sourceLocation: sourceLocation)
        #expect(BundleWriter.encode(decoded) == bytes, sourceLocation: sourceLocation)
        return bytes
    }
}
