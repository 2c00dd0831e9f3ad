import Foundation
import Testing
import WaypostCore
import WaypostCrypto

@testable import WaypostBundle

/// Random and mutated inputs, to the frame reader and to the sealed container: each either returns a
/// result or throws ``BundleError``; it never traps, hangs, or returns something it could not have read
/// (or, for a container, something its sender did not seal).
///
/// `WAYPOST_FUZZ_ITERATIONS` sets the number of inputs in all (default 100,000: nine in ten to the frame
/// reader, one in ten to opening containers) and `WAYPOST_FUZZ_SEED` the seed (default fixed, so that a
/// failure replays); `Scripts/fuzz-bundles` runs millions in release.
@Suite struct BundleFuzzTests {
    static let shards = 4

    static var iterations: Int {
        ProcessInfo.processInfo.environment["WAYPOST_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 100_000
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["WAYPOST_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_B0D1E5
    }

    /// How many inputs go to opening containers (each costs a few public-key operations); the rest go to
    /// the frame reader.
    static var sealedIterations: Int { iterations / 10 }
    static var frameIterations: Int { iterations - sealedIterations }

    /// Small valid frames to mutate: a few changes and at most two nodes each, and certificates in only two
    /// of them, so that each input is quick to read even in a debug build (where making a ``NodeID`` or
    /// checking a signature costs tens of microseconds).
    static let corpus: [[UInt8]] = {
        var generator = SeededGenerator(seed: 2024)
        var corpus = [
            BundleWriter.encode(BundleSamples.example),
            BundleWriter.encode(
                Bundle(
                    sender: BundleSamples.sender, createdAt: 0, senderVersions: VersionVector(), batch: ChangeBatch(),
                    certificates: [BundleSamples.certificates[1]])),
        ]
        while corpus.count < 32 {
            let bundle = BundleSamples.random(
                changeCount: generator.int(1...4), originCount: 1, longestRun: 3, using: &generator)
            let stripped = Bundle(
                sender: bundle.sender, createdAt: bundle.createdAt, senderVersions: bundle.senderVersions,
                batch: bundle.batch)
            let bytes = BundleWriter.encode(stripped)
            if bytes.count < 700, Frame.split(bytes)[0].payload.count <= 32 + 8 + 1 + 2 * 32 + 1 + 2 * 11 {
                corpus.append(bytes)
            }
        }
        return corpus
    }()

    /// The corpus's frames.
    static let corpusFrames = corpus.map(Frame.split)

    /// The node that opens the containers, and one that is a recipient of some of them only.
    static let opener = BundleSamples.recipientKeys
    static let bystander = BundleSamples.otherKeys

    /// Valid containers to mutate: the corpus's first frames sealed to the opener, alone or with others.
    static let sealedCorpus: [[UInt8]] = corpus.prefix(8).enumerated().map { index, frames in
        let recipients = index % 3 == 0 ? [opener.publicKey, bystander.publicKey] : [opener.publicKey]
        return try! SealedBundle.seal(frames, from: BundleSamples.senderKeys, to: recipients)
    }

    /// What each sealed corpus entry opens to.
    static let sealedFrames = Array(corpus.prefix(8))

    @Test(arguments: 0..<shards)
    func decodingNeverTraps(shard: Int) {
        var generator = SeededGenerator(seed: Self.seed &+ UInt64(shard))
        var outcomes: [BundleError.Code?: Int] = [:]
        var structural: [BundleError.Code?: Int] = [:]
        var slowest = Duration.zero
        let clock = ContinuousClock()
        let count = Self.frameIterations / Self.shards
        for _ in 0..<count {
            let (input, checksummed) = Self.input(using: &generator)
            var outcome: BundleError.Code?
            var decoded: WaypostBundle.Bundle?
            let elapsed = clock.measure {
                do throws(BundleError) {
                    decoded = try BundleReader.decode(input)
                } catch {
                    outcome = error.code
                }
            }
            if let decoded {
                // What was read can be written, and reads back the same.
                #expect((try? BundleReader.decode(BundleWriter.encode(decoded))) == decoded)
            }
            slowest = max(slowest, elapsed)
            outcomes[outcome, default: 0] += 1
            if checksummed { structural[outcome, default: 0] += 1 }
        }
        #expect(slowest < .seconds(2), "the slowest input took \(slowest)")
        // Each kind of input reached the checks meant for it.
        if Self.iterations >= 10_000 {
            for code in [BundleError.Code.notABundle, .unsupportedVersion, .truncated, .corrupt, .malformed] {
                #expect(outcomes[code, default: 0] > 0, "no input was refused as \(code)")
            }
            #expect(structural[.malformed, default: 0] > count / 10)
            #expect(structural[nil, default: 0] > 0, "no mutated input with recomputed CRCs was accepted")
        }
    }

    @Test(arguments: 0..<shards)
    func openingNeverTraps(shard: Int) {
        var generator = SeededGenerator(seed: Self.seed &+ 0x5EA1_ED00 &+ UInt64(shard))
        var outcomes: [BundleError.Code?: Int] = [:]
        var decodedOutcomes: [BundleError.Code?: Int] = [:]
        var slowest = Duration.zero
        let clock = ContinuousClock()
        for _ in 0..<(Self.sealedIterations / Self.shards) {
            let (input, source) = Self.sealedInput(using: &generator)
            let keys = generator.int(0..<8) == 0 ? Self.bystander : Self.opener
            var outcome: BundleError.Code?
            var opened: (sender: NodeID, frames: [UInt8])?
            let elapsed = clock.measure {
                do throws(BundleError) {
                    opened = try SealedBundle.open(input, with: keys)
                } catch {
                    outcome = error.code
                }
            }
            slowest = max(slowest, elapsed)
            outcomes[outcome, default: 0] += 1
            guard let opened else { continue }
            if let source {
                // Damage to a container never opens to anything but what its sender sealed.
                #expect(opened.sender == BundleSamples.sender && opened.frames == source, "a damaged container opened")
            }
            do throws(BundleError) {
                let bundle = try BundleReader.decode(opened.frames)
                #expect((try? BundleReader.decode(BundleWriter.encode(bundle))) == bundle)
                decodedOutcomes[nil, default: 0] += 1
            } catch {
                decodedOutcomes[error.code, default: 0] += 1
            }
        }
        #expect(slowest < .seconds(2), "the slowest input took \(slowest)")
        if Self.iterations >= 10_000 {
            for code in [
                BundleError.Code.notABundle, .unsupportedVersion, .truncated, .corrupt, .malformed, .notForThisNode,
            ] {
                #expect(outcomes[code, default: 0] > 0, "no container was refused as \(code)")
            }
            #expect(outcomes[nil, default: 0] > 0, "no container opened")
            #expect(decodedOutcomes[nil, default: 0] > 0, "no opened container decoded")
            #expect(decodedOutcomes[.malformed, default: 0] > 0, "no opened container was malformed inside")
        }
    }

    // MARK: Frame inputs

    /// A fuzz input for the frame reader, and whether its lengths and CRCs were recomputed after mutation
    /// (so that it gets past the checksums to the structural checks).
    static func input(using generator: inout SeededGenerator) -> ([UInt8], Bool) {
        let chosen = generator.int(0..<corpus.count)
        let valid = corpus[chosen]
        switch generator.int(0..<20) {
        case 0:
            return (randomBytes(0...64, using: &generator), false)
        case 1:
            return (
                WaypostBundle.Bundle.magic + [0, UInt8(generator.int(0...3))] + randomBytes(0...64, using: &generator),
                false
            )
        case 2...8:
            var bytes = valid
            for _ in 0..<generator.int(1...3) { mutate(&bytes, using: &generator) }
            return (bytes, false)
        default:
            return (mutateFrames(corpusFrames[chosen], using: &generator), true)
        }
    }

    /// Mutates a bundle's frames, then joins them with correct lengths and CRCs and, mostly, an end frame
    /// whose counts match.
    static func mutateFrames(_ original: [Frame], using generator: inout SeededGenerator) -> [UInt8] {
        var frames = original
        switch generator.int(0..<12) {
        case 0:
            frames.insert(generator.element(of: frames), at: generator.int(0...frames.count))
        case 1:
            frames.remove(at: generator.int(0..<frames.count))
        case 2:
            frames.swapAt(generator.int(0..<frames.count), generator.int(0..<frames.count))
        case 3:
            frames[generator.int(0..<frames.count)].type = generator.byte()
        case 4:
            // Another bundle's changes under this bundle's header: its node indexes may not fit.
            let other = generator.element(of: corpusFrames).filter { $0.type == FrameType.changes.rawValue }
            if !other.isEmpty { frames.insert(generator.element(of: other), at: min(1, frames.count)) }
        case 5:
            // A change's flags byte: the first byte after a run's three varints, or anywhere in a run.
            let runs = frames.indices.filter { frames[$0].type == FrameType.changes.rawValue }
            guard let index = runs.isEmpty ? nil : generator.element(of: runs) else { break }
            let position = generator.int(0..<frames[index].payload.count)
            frames[index].payload[position] = generator.element(of: [0x80, 0x08, 0x10, 0x20, 0x40, 0x47, 0x7F, 0x4A])
        default:
            let index = generator.int(0..<frames.count)
            for _ in 0..<generator.int(1...2) { mutate(&frames[index].payload, using: &generator) }
        }
        if generator.int(0..<10) < 8, let last = frames.last, last.type == FrameType.end.rawValue {
            let changeCount = frames.dropLast().filter { $0.type == FrameType.changes.rawValue }.reduce(UInt64(0)) {
                var reader = ByteReader($1.payload)
                _ = try? reader.readVarint()
                _ = try? reader.readVarint()
                return $0 &+ ((try? reader.readVarint()) ?? 0)
            }
            frames[frames.count - 1] = Frame.end(frames: UInt64(frames.count - 1), changes: changeCount)
        }
        return Frame.join(frames)
    }

    // MARK: Container inputs

    /// A fuzz input for opening, and, if it is a damaged copy of a sealed corpus entry, the frames that
    /// entry holds (the only frames it may open to).
    static func sealedInput(using generator: inout SeededGenerator) -> ([UInt8], [UInt8]?) {
        let chosen = generator.int(0..<sealedCorpus.count)
        let valid = sealedCorpus[chosen]
        switch generator.int(0..<20) {
        case 0:
            return (randomBytes(0...300, using: &generator), nil)
        case 1:
            let version: [UInt8] = [0, UInt8(generator.int(0...3))]
            return (WaypostBundle.Bundle.magic + version + randomBytes(0...300, using: &generator), nil)
        case 2...8:
            var bytes = valid
            for _ in 0..<generator.int(1...3) { mutate(&bytes, using: &generator) }
            return (bytes, sealedFrames[chosen])
        case 9...11:
            return (mixContainers(valid, generator.element(of: sealedCorpus), using: &generator), nil)
        default:
            // Valid containers around damaged frames: the frame reader behind the container.
            let frames =
                generator.int(0..<4) == 0
                ? { () -> [UInt8] in
                    var bytes = corpus[generator.int(0..<corpus.count)]
                    mutate(&bytes, using: &generator)
                    return bytes
                }()
                : mutateFrames(generator.element(of: corpusFrames), using: &generator)
            let recipients = generator.int(0..<3) == 0 ? [bystander.publicKey, opener.publicKey] : [opener.publicKey]
            return (try! SealedBundle.seal(frames, from: BundleSamples.senderKeys, to: recipients), nil)
        }
    }

    /// A container made of the parts of two: recipients dropped, repeated, reordered or taken from the
    /// other, slots or streams swapped, the count changed.
    static func mixContainers(_ first: [UInt8], _ second: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        let (a, b) = (SealedLayout(first), SealedLayout(second))
        var recipients = a.recipients.map { (id: Array(first[$0.id]), slot: Array(first[$0.slot])) }
        let others = b.recipients.map { (id: Array(second[$0.id]), slot: Array(second[$0.slot])) }
        var stream = Array(first[a.stream])
        switch generator.int(0..<7) {
        case 0: recipients.append(generator.element(of: recipients))
        case 1: recipients.remove(at: generator.int(0..<recipients.count))
        case 2: recipients.reverse()
        case 3: recipients[generator.int(0..<recipients.count)] = generator.element(of: others)
        case 4: recipients[generator.int(0..<recipients.count)].slot = generator.element(of: others).slot
        case 5: stream = Array(second[b.stream])
        default:
            var bytes = SealedLayout.assemble(recipients: recipients, stream: stream)
            bytes[10] = generator.byte()
            return bytes
        }
        return SealedLayout.assemble(recipients: recipients, stream: stream)
    }

    // MARK: Mutations

    /// One random edit: flipped bits, overwritten bytes, a truncation, an insertion, a duplicated,
    /// deleted or copied slice.
    static func mutate(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        func position() -> Int { generator.int(0..<bytes.count) }
        func slice() -> Range<Int> {
            let start = position()
            return start..<min(bytes.count, start + generator.int(1...64))
        }
        guard !bytes.isEmpty else {
            bytes = randomBytes(1...8, using: &generator)
            return
        }
        switch generator.int(0..<7) {
        case 0:
            for _ in 0..<generator.int(1...4) { bytes[position()] ^= 1 << UInt8(generator.int(0...7)) }
        case 1:
            let interesting: [UInt8] = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, generator.byte()]
            for _ in 0..<generator.int(1...3) { bytes[position()] = generator.element(of: interesting) }
        case 2:
            bytes.removeLast(generator.int(1...bytes.count))
        case 3:
            bytes.insert(contentsOf: randomBytes(1...16, using: &generator), at: generator.int(0...bytes.count))
        case 4:
            let copy = Array(bytes[slice()])
            bytes.insert(contentsOf: copy, at: generator.int(0...bytes.count))
        case 5:
            bytes.removeSubrange(slice())
        default:
            let source = Array(bytes[slice()])
            let start = position()
            for (offset, byte) in source.enumerated() where start + offset < bytes.count {
                bytes[start + offset] = byte
            }
        }
    }

    static func randomBytes(_ count: ClosedRange<Int>, using generator: inout SeededGenerator) -> [UInt8] {
        (0..<generator.int(count)).map { _ in generator.byte() }
    }
}
