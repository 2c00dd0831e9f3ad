import Foundation
import Testing
import WaypostCore

@testable import WaypostBundle

/// Random and mutated inputs: the reader either returns a bundle or throws ``BundleError``; it never
/// traps, hangs, or returns a bundle it could not have read.
///
/// `WAYPOST_FUZZ_ITERATIONS` sets the number of inputs (default 100,000) and `WAYPOST_FUZZ_SEED` the
/// seed (default fixed, so that a failure replays); `Scripts/fuzz-bundles` runs millions in release.
@Suite struct BundleFuzzTests {
    static let shards = 4

    static var iterations: Int {
        ProcessInfo.processInfo.environment["WAYPOST_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 100_000
    }

    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["WAYPOST_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_B0D1E5
    }

    /// Small valid bundles to mutate.
    static let corpus: [[UInt8]] = {
        var generator = SeededGenerator(seed: 2024)
        var corpus = [BundleWriter.encode(BundleSamples.example)]
        corpus.append(
            BundleWriter.encode(
                WaypostBundle.Bundle(
                    sender: BundleSamples.other, createdAt: 0, senderVersions: VersionVector(), changes: [])))
        for _ in 0..<40 {
            let bundle = BundleSamples.random(
                changeCount: generator.int(1...4), originCount: generator.int(2...3),
                longestRun: 3, using: &generator)
            let bytes = BundleWriter.encode(bundle)
            if bytes.count < 320 { corpus.append(bytes) }
        }
        return corpus
    }()

    /// The corpus's frames.
    static let corpusFrames = corpus.map(Frame.split)

    @Test(arguments: 0..<shards)
    func decodingNeverTraps(shard: Int) {
        var generator = SeededGenerator(seed: Self.seed &+ UInt64(shard))
        var outcomes: [BundleError.Code?: Int] = [:]
        var structural: [BundleError.Code?: Int] = [:]
        var slowest = Duration.zero
        let clock = ContinuousClock()
        for _ in 0..<(Self.iterations / Self.shards) {
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
            #expect(structural[.malformed, default: 0] > Self.iterations / Self.shards / 10)
            #expect(structural[nil, default: 0] > 0, "no mutated input with recomputed CRCs was accepted")
        }
    }

    // MARK: Inputs

    /// A fuzz input, and whether its lengths and CRCs were recomputed after mutation (so that it gets
    /// past the checksums to the structural checks).
    static func input(using generator: inout SeededGenerator) -> ([UInt8], Bool) {
        let chosen = generator.int(0..<corpus.count)
        let valid = corpus[chosen]
        switch generator.int(0..<20) {
        case 0:
            return (randomBytes(0...64, using: &generator), false)
        case 1:
            return (WaypostBundle.Bundle.magic + [0, 1] + randomBytes(0...64, using: &generator), false)
        case 2...9:
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
        switch generator.int(0..<10) {
        case 0:
            frames.insert(generator.element(of: frames), at: generator.int(0...frames.count))
        case 1:
            frames.remove(at: generator.int(0..<frames.count))
        case 2:
            frames.swapAt(
                generator.int(0..<frames.count), generator.int(0..<frames.count))
        case 3:
            frames[generator.int(0..<frames.count)].type = generator.byte()
        case 4:
            // Another bundle's changes under this bundle's header: its node indexes may not fit.
            let other = generator.element(of: corpusFrames).filter { $0.type == FrameType.changes.rawValue }
            if !other.isEmpty { frames.insert(generator.element(of: other), at: min(1, frames.count)) }
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
