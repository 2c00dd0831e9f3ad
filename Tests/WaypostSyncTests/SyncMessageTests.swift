import Testing
import WaypostCore
import WaypostCrypto
import WaypostSync
import WaypostTesting

/// The channel messages (`Protocol/sync.md` §4): every case round trips, and a reader refuses every
/// malformed message with ``SyncError`` `malformed`, never a crash.
@Suite struct SyncMessageTests {
    static func node(_ generator: inout SplitMix64) -> NodeID {
        NodeID(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func sequence(_ generator: inout SplitMix64, bits most: Int = 63) -> UInt64 {
        // Every varint length, from one byte to nine (sequence numbers are at most 2^63 - 1: 63 bits).
        let bits = generator.int(in: 0...most)
        return max(1, bits == 0 ? 0 : generator.next() >> (64 - bits))
    }

    static func versions(_ generator: inout SplitMix64, origins: Int) -> VersionVector {
        // The entries add up to at most 2^63 - 1: each has at most 63 - log2(origins) bits.
        let bits = 63 - (UInt64(max(origins, 1)).bitWidth - UInt64(max(origins, 1)).leadingZeroBitCount)
        return VersionVector(
            Dictionary((0..<origins).map { _ in (node(&generator), sequence(&generator, bits: bits)) }) { first, _ in first })
    }

    /// A message of a random kind and content.
    static func message(_ generator: inout SplitMix64) -> SyncMessage {
        switch generator.int(in: 0...6) {
        case 0: return .accept
        case 1:
            let code = generator.pick([SyncMessage.Refusal.Code.untrusted, .busy, .malformed, .batchRefused, .other])
            let text = String((0..<generator.int(in: 0...300)).map { _ in generator.pick(Array("abc é字🙂 :;'-")) })
            return .refuse(SyncMessage.Refusal(code, text))
        case 2: return .versions(versions(&generator, origins: generator.int(in: 0...20)))
        case 3:
            let frames = (0..<generator.int(in: 0...200)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return .batch(number: sequence(&generator), frames: frames)
        case 4:
            return .acknowledge(
                number: sequence(&generator), applied: generator.chance(0.2) ? 0 : sequence(&generator),
                versions: versions(&generator, origins: generator.int(in: 0...20)))
        case 5: return .caughtUp
        default: return .keepalive
        }
    }

    static func vector(_ entries: [(NodeID, UInt64)]) -> VersionVector {
        VersionVector(Dictionary(uniqueKeysWithValues: entries))
    }

    static let small = vector([(Nodes.initiator.publicKey, 3), (Nodes.other.publicKey, 7)])

    static let everyCase: [SyncMessage] = [
        .accept,
        .refuse(SyncMessage.Refusal(.untrusted, "this node does not trust AOQQPP7")),
        .refuse(SyncMessage.Refusal(.busy, "")),
        .refuse(SyncMessage.Refusal(.malformed, "a batch before versions")),
        .refuse(SyncMessage.Refusal(.batchRefused, "batch 3 holds a forged change")),
        .refuse(SyncMessage.Refusal(.other, "shutting down")),
        .versions(VersionVector()),
        .versions(small),
        .batch(number: 1, frames: []),
        .batch(number: Dot.maximumSequence, frames: Array("WAYPOSTB".utf8) + [0, 2]),
        .acknowledge(number: 1, applied: 0, versions: VersionVector()),
        .acknowledge(number: 1 << 40, applied: 2000, versions: small),
        .caughtUp,
        .keepalive,
    ]

    static func code(_ bytes: [UInt8]) -> SyncError.Code? {
        Nodes.code { () throws(SyncError) in try SyncMessage(decoding: bytes) }
    }

    // MARK: Round trips

    @Test func everyCaseRoundTrips() throws {
        for message in Self.everyCase {
            #expect(try SyncMessage(decoding: message.encoded) == message, "\(message)")
        }
        #expect(Set(Self.everyCase.map { $0.encoded[0] }) == [0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14])
    }

    @Test func largeVersionVectorsRoundTrip() throws {
        var generator = SplitMix64(seed: 0x5EC7)
        for origins in [1, 127, 128, 5000] {
            let versions = Self.versions(&generator, origins: origins)
            #expect(versions.entries.count == origins)
            let encoded = SyncMessage.versions(versions).encoded
            #expect(try SyncMessage(decoding: encoded) == .versions(versions), "\(origins) origins")
            let acknowledged = SyncMessage.acknowledge(number: 9, applied: 9, versions: versions)
            #expect(try SyncMessage(decoding: acknowledged.encoded) == acknowledged, "\(origins) origins")
        }
        let extremes = Self.vector([(Nodes.initiator.publicKey, 1), (Nodes.other.publicKey, Dot.maximumSequence - 1)])
        #expect(try SyncMessage(decoding: SyncMessage.versions(extremes).encoded) == .versions(extremes))
    }

    @Test func randomMessagesRoundTrip() throws {
        for seed in UInt64(1)...3 {
            var generator = SplitMix64(seed: seed)
            for index in 0..<300 {
                let message = Self.message(&generator)
                #expect(try SyncMessage(decoding: message.encoded) == message, "seed \(seed), message \(index)")
            }
        }
    }

    @Test func versionVectorsAreWrittenInAscendingOrderOfNodeIDs() throws {
        var generator = SplitMix64(seed: 42)
        let versions = Self.versions(&generator, origins: 50)
        let encoded = SyncMessage.versions(versions).encoded
        #expect(encoded[0] == 0x10 && encoded[1] == 50)
        var reader = ByteReader(encoded, range: 2..<encoded.count)
        var previous: [UInt8]? = nil
        for _ in 0..<50 {
            let node = try reader.readBytes(32)
            #expect(try reader.readVarint() == versions[NodeID(bytes: node)])
            if let previous { #expect(previous.lexicographicallyPrecedes(node)) }
            previous = node
        }
        #expect(reader.isAtEnd)
    }

    // MARK: What a reader refuses

    @Test func everyTruncationIsRefusedOrReadsAsAShorterMessageOfTheSameKind() throws {
        // A frame delimits its message, so `batch` and `refuse`, whose last field runs to the end of the
        // message, read a cut as a shorter message of the same kind (the channel's tag makes such a cut
        // impossible in transit); every other cut is `malformed`.
        var generator = SplitMix64(seed: 7)
        let messages = Self.everyCase + (0..<100).map { _ in Self.message(&generator) }
        for message in messages {
            let encoded = message.encoded
            for cut in 0..<encoded.count {
                let prefix = Array(encoded.prefix(cut))
                switch message {
                case .batch(let number, let frames) where cut >= 1 + Self.varintLength(number):
                    let kept = Array(frames.prefix(cut - 1 - Self.varintLength(number)))
                    #expect(try SyncMessage(decoding: prefix) == .batch(number: number, frames: kept))
                case .refuse(let refusal) where cut >= 2:
                    guard case .refuse(let read) = try SyncMessage(decoding: prefix) else {
                        Issue.record("a cut refusal is not a refusal")
                        continue
                    }
                    #expect(read.code == refusal.code)
                default:
                    #expect(Self.code(prefix) == .malformed, "\(message) cut at \(cut)")
                }
            }
        }
    }

    static func varintLength(_ value: UInt64) -> Int {
        var writer = ByteWriter()
        writer.write(varint: value)
        return writer.bytes.count
    }

    @Test func randomBytesNeverCrashTheReader() throws {
        var generator = SplitMix64(seed: 0xF022)
        var read = 0
        for _ in 0..<20_000 {
            var bytes = (0..<generator.int(in: 0...80)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty && generator.chance(0.7) {
                bytes[0] = generator.pick([0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14])
            }
            do {
                let message = try SyncMessage(decoding: bytes)
                read += 1
                // What reads, re-encodes to a message that reads the same.
                #expect(try SyncMessage(decoding: message.encoded) == message)
            } catch {
                #expect(error.code == .malformed)
            }
        }
        #expect(read > 0)
    }

    @Test(arguments: [0x00, 0x03, 0x0F, 0x15, 0x7F, 0x80, 0xFF] as [UInt8])
    func anUnknownTypeIsMalformed(type: UInt8) {
        let error = Nodes.error { () throws(SyncError) in try SyncMessage(decoding: [type, 0, 0]) }
        #expect(error?.code == .malformed)
        #expect(error?.message.contains("unknown type \(type)") == true)
    }

    @Test func bytesAfterTheEndAreMalformed() throws {
        for message in [
            SyncMessage.accept, .caughtUp, .keepalive, .versions(Self.small), .versions(VersionVector()),
            .acknowledge(number: 1, applied: 3, versions: Self.small),
        ] {
            #expect(Self.code(message.encoded + [0]) == .malformed, "\(message)")
            #expect(Self.code(message.encoded + Nodes.initiator.publicKey.bytes + [1]) == .malformed, "\(message)")
        }
    }

    @Test func anEmptyMessageIsMalformed() {
        #expect(Self.code([]) == .malformed)
    }

    @Test func versionVectorsOutOfOrderOrWithAnOriginTwiceAreMalformed() throws {
        let (low, high) = (Nodes.initiator.publicKey.bytes, Nodes.other.publicKey.bytes)
        #expect(low.lexicographicallyPrecedes(high))
        #expect(try SyncMessage(decoding: [0x10, 2] + low + [3] + high + [7]) == .versions(Self.small))
        #expect(Self.code([0x10, 2] + high + [7] + low + [3]) == .malformed)
        #expect(Self.code([0x10, 2] + low + [3] + low + [4]) == .malformed)
        #expect(Self.code([0x12, 1, 3, 2] + high + [7] + low + [3]) == .malformed)
        #expect(Self.code([0x12, 1, 3, 2] + high + [7] + high + [7]) == .malformed)
    }

    @Test func versionVectorsLongerThanTheirMessageAreMalformed() throws {
        let low = Nodes.initiator.publicKey.bytes
        #expect(Self.code([0x10, 2] + low + [3]) == .malformed)
        // A count no message could hold is refused before anything is allocated for it.
        #expect(
            Self.code([0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] + low + [3]) == .malformed)
        // A varint past 64 bits.
        #expect(Self.code([0x10, 1] + low + Array(repeating: 0xFF, count: 10) + [0x01]) == .malformed)
        #expect(Self.code([0x11] + Array(repeating: 0x80, count: 11)) == .malformed)
    }

    @Test func aZeroInAVersionVectorReadsAsAnAbsentOrigin() throws {
        // Writers never write 0 (sync.md §4); a reader takes it as "nothing seen", as an absent origin.
        let (low, high) = (Nodes.initiator.publicKey.bytes, Nodes.other.publicKey.bytes)
        let read = try SyncMessage(decoding: [0x10, 2] + low + [0] + high + [7])
        #expect(read == .versions(Self.vector([(Nodes.other.publicKey, 7)])))
        #expect(SyncMessage.versions(Self.vector([(Nodes.initiator.publicKey, 0)])).encoded == [0x10, 0])
    }

    // MARK: Refusals

    @Test func aRefusalsTextIsCutAt256BytesBetweenCharacters() throws {
        let ascii = String(repeating: "a", count: 300)
        #expect(SyncMessage.Refusal(.other, ascii).message.utf8.count == 256)
        // 255 bytes, then a two-byte character that would end at byte 257: it is left out, not split.
        let straddling = String(repeating: "a", count: 255) + "é" + "and more"
        let cut = SyncMessage.Refusal(.untrusted, straddling).message
        #expect(cut == String(repeating: "a", count: 255))
        for text in ["字" + String(repeating: "字", count: 100), String(repeating: "🙂", count: 70), "short é"] {
            let kept = SyncMessage.Refusal(.other, text).message
            #expect(kept.utf8.count <= 256 && kept.utf8.count > 256 - 4 || kept == text, "\(text.utf8.count) bytes")
            #expect(text.hasPrefix(kept) && !kept.isEmpty)
        }
        let encoded = SyncMessage.refuse(SyncMessage.Refusal(.busy, ascii)).encoded
        #expect(encoded.count == 2 + 256)
    }

    @Test func aRefusalWithMoreThan256BytesOfTextIsMalformed() throws {
        let exactly = [0x02, 0x01] + Array(repeating: UInt8(ascii: "x"), count: 256)
        #expect(
            try SyncMessage(decoding: exactly)
                == .refuse(SyncMessage.Refusal(.untrusted, String(repeating: "x", count: 256))))
        #expect(Self.code(exactly + [UInt8(ascii: "x")]) == .malformed)
    }

    @Test func aRefusalWithAnUnknownCodeReadsAsOther() throws {
        #expect(
            try SyncMessage(decoding: [0x02, 0x09] + Array("new reason".utf8))
                == .refuse(SyncMessage.Refusal(.other, "new reason")))
        #expect(Self.code([0x02]) == .malformed)
    }

    @Test func aRefusalWhoseTextIsNotUTF8IsReadWithReplacementCharacters() throws {
        guard case .refuse(let refusal) = try SyncMessage(decoding: [0x02, 0x03, 0x61, 0xFF, 0x62]) else {
            Issue.record("not a refusal")
            return
        }
        #expect(refusal.code == .malformed && refusal.message == "a\u{FFFD}b")
        // Even when the replacements make it longer than 256 bytes.
        let invalid = try SyncMessage(decoding: [0x02, 0x03] + Array(repeating: 0xFF, count: 256))
        guard case .refuse(let long) = invalid else {
            Issue.record("not a refusal")
            return
        }
        #expect(long.message.utf8.count <= 256 && long.message.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
    }
}
