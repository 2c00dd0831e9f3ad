import Testing
import WaypostTesting
import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostBundle

/// The encrypted, signed container (`Protocol/bundle.md` §10): only its recipients can open it, each
/// learns and can check who sent it, and any change to it, or a recipient's attempt to pass off other
/// content as the sender's, is refused.
@Suite struct SealedBundleTests {
    static let frames = BundleWriter.encode(BundleSamples.example)
    static let sender = BundleSamples.senderKeys
    /// Three recipients: R, O and N of the example.
    static let recipients = [BundleSamples.recipientKeys, BundleSamples.otherKeys, BundleSamples.networkKeys]
    /// A node the bundles are not for.
    static let outsider = try! SigningKeyPair(seed: BundleSamples.seed(0xA0))

    static func seal(_ frames: [UInt8] = frames, to recipients: [SigningKeyPair]) -> [UInt8] {
        try! SealedBundle.seal(frames, from: sender, to: recipients.map(\.publicKey))
    }

    /// A bundle sealed to R alone, and one sealed to all three.
    static let single = seal(to: [recipients[0]])
    static let triple = seal(to: recipients)

    // MARK: Round trips

    @Test(arguments: [1, 3])
    func everyRecipientOpensIt(count: Int) throws {
        let recipients = Array(Self.recipients.prefix(count))
        let sealed = Self.seal(to: recipients)
        for keys in recipients {
            let (sender, frames) = try SealedBundle.open(sealed, with: keys)
            #expect(sender == Self.sender.publicKey)
            #expect(frames == Self.frames)
            #expect(try BundleReader.decode(frames) == BundleSamples.example)
        }
        #expect(try SealedBundle.recipients(of: sealed) == recipients.map(\.publicKey))
        // Magic, version, count; an id and a 176-byte slot per recipient; the stream: a 24-byte header, and
        // one chunk of a 4-byte length and the frames plus 17.
        #expect(sealed.count == 8 + 2 + 1 + count * (32 + 176) + 24 + 4 + Self.frames.count + 17)
    }

    @Test func sealingTwiceGivesDifferentBytes() throws {
        let again = Self.seal(to: [Self.recipients[0]])
        #expect(again != Self.single)
        #expect(try SealedBundle.open(again, with: Self.recipients[0]).frames == Self.frames)
    }

    @Test func theSenderCanSealToItself() throws {
        // A node's backup of its own changes, as `bundle export` writes with no peer.
        let sealed = Self.seal(to: [Self.sender])
        let (sender, frames) = try SealedBundle.open(sealed, with: Self.sender)
        #expect(sender == Self.sender.publicKey && frames == Self.frames)
    }

    @Test func theMostRecipientsRoundTrip() throws {
        let many = (0..<SealedBundle.maximumRecipients).map { index in
            try! SigningKeyPair(seed: Array(repeating: UInt8(index), count: 31) + [0xEE])
        }
        let sealed = Self.seal(to: many)
        #expect(try SealedBundle.recipients(of: sealed).count == 256)
        #expect(try SealedBundle.open(sealed, with: many[255]).frames == Self.frames)
        #expect(try SealedBundle.open(sealed, with: many[0]).frames == Self.frames)
    }

    @Test func largeFramesSpanSeveralChunks() throws {
        let frames = Random.bytes(3 * 65536 + 100)  // the container does not look inside
        let sealed = Self.seal(frames, to: [Self.recipients[0]])
        let layout = SealedLayout(sealed)
        #expect(layout.stream.count == 24 + 4 * 21 + frames.count)
        #expect(try SealedBundle.open(sealed, with: Self.recipients[0]).frames == frames)
        // Cut at the end of each chunk but the last: still refused.
        for chunks in 1...3 {
            let cut = layout.stream.lowerBound + 24 + chunks * (4 + 65536 + 17)
            #expect(Self.code(Array(sealed[0..<cut]), Self.recipients[0]) == .corrupt, "after \(chunks) chunks")
        }
    }

    @Test func sealingToAKeyThatIsNotOnTheCurveIsRefused() {
        // 32 zero bytes: a point of small order, which has no X25519 key to seal to.
        let error = #expect(throws: BundleError.self) {
            try SealedBundle.seal(Self.frames, from: Self.sender, to: [NodeID(bytes: Array(repeating: 0, count: 32))])
        }
        #expect(error?.code == .malformed)
    }

    // MARK: Not for this node

    @Test func aNonRecipientIsToldWhomItIsFor() throws {
        for keys in [Self.outsider, Self.sender] {
            let error = try #require(Self.error(Self.triple, keys))
            #expect(error.code == .notForThisNode)
            for recipient in Self.recipients {
                #expect(error.message.contains(recipient.publicKey.short), "\(error.message)")
            }
        }
        // Anyone can list the recipients, without a key.
        #expect(try SealedBundle.recipients(of: Self.triple) == Self.recipients.map(\.publicKey))
        #expect(try SealedBundle.recipients(of: Self.single) == [Self.recipients[0].publicKey])
    }

    @Test func aNonRecipientLearnsOnlyTheRecipientsAndTheSize() {
        // Everything before the stream is the magic, the version, the count, and per recipient its id and a
        // sealed box that says nothing about who made it; the rest is ciphertext as long as the frames + 45.
        let layout = SealedLayout(Self.triple)
        #expect(Array(Self.triple[0..<10]) == Bundle.magic + [0, 2])
        #expect(Array(Self.triple[layout.count]) == [3])
        #expect(layout.recipientIDs(in: Self.triple) == Self.recipients.map(\.publicKey))
        #expect(layout.stream.count == Self.frames.count + 24 + 4 + 17)
        #expect(Self.triple.firstRange(of: Self.sender.publicKey.bytes) == nil, "the sender is not in clear")
    }

    @Test func aSealedBundleHoldsNoCaseValueInClear() throws {
        // Distinctive values in every place a bundle carries text or ids.
        let texts = [
            "Amina Yusuf Abdi", "Kakuma refugee camp", "HIV positive, on ART since 2024", "born 1987-03-14",
            "household.k3b7.given_name", "Mogadishu", "Kakuma clinic intake desk",
        ]
        let record = try RecordID(parsing: "q2ze-7bfa-mx3k-4d4a")
        var batch = ChangeBatch()
        for (index, text) in texts.dropLast().enumerated() {
            let dot = Dot(origin: Self.sender.publicKey, sequence: UInt64(index + 1))
            batch.changes.append(
                Change(
                    dot: dot, timestamp: HybridTimestamp(milliseconds: BundleSamples.milliseconds),
                    collection: .caseFile,
                    record: record, field: index == 4 ? text : "notes", operation: .append(entry: text)))
        }
        batch.recordKeys[batch.changes[0].dot] = BundleSamples.recordKey
        // A network and a node that are not recipients: ids in the frames, not on the container.
        let network = try SigningKeyPair(seed: BundleSamples.seed(0xB0))
        let certificate = Certificate.issue(
            network: network.publicKey, node: Self.sender.publicKey, role: .field, name: texts.last!, issuedAt: 0,
            by: network)
        let bundle = Bundle(
            sender: Self.sender.publicKey, createdAt: 0, senderVersions: VersionVector([Self.outsider.publicKey: 9]),
            batch: batch, certificates: [certificate])
        let frames = BundleWriter.encode(bundle)
        let secrets =
            texts.map { Array($0.utf8) } + [
                record.bytes, Self.sender.publicKey.bytes, Self.outsider.publicKey.bytes, BundleSamples.recordKey,
                network.publicKey.bytes,
            ]
        for secret in secrets { #expect(frames.firstRange(of: secret) != nil) }  // the search works
        for count in [1, 3] {
            let sealed = Self.seal(frames, to: Array(Self.recipients.prefix(count)))
            for secret in secrets {
                #expect(sealed.firstRange(of: secret) == nil, "found \(secret) in clear")
                // Nor any 8 bytes of it.
                for start in stride(from: 0, to: max(secret.count - 8, 1), by: 1) {
                    #expect(sealed.firstRange(of: secret[start..<min(start + 8, secret.count)]) == nil)
                }
            }
            #expect(try SealedBundle.open(sealed, with: Self.recipients[0]).frames == frames)
        }
    }

    // MARK: Damage

    @Test(arguments: [false, true])
    func everyTruncationIsRefused(threeRecipients: Bool) {
        let sealed = threeRecipients ? Self.triple : Self.single
        let streamStart = SealedLayout(sealed).stream.lowerBound
        for length in 0..<sealed.count {
            let code = Self.code(Array(sealed[0..<length]), Self.recipients[0])
            // Up to the stream, the container is visibly short; after, the signature over the stream fails.
            let expected: BundleError.Code = length < 8 ? .notABundle : length < streamStart ? .truncated : .corrupt
            #expect(code == expected, "cut to \(length) bytes")
        }
        #expect(Self.code(sealed + [0], Self.recipients[0]) == .corrupt)
    }

    @Test(arguments: [0x01, 0x80, 0xFF, 0x5A] as [UInt8])
    func everyFlippedByteIsRefusedWithOneRecipient(mask: UInt8) {
        let layout = SealedLayout(Self.single)
        for position in Self.single.indices {
            var damaged = Self.single
            damaged[position] ^= mask
            let code = Self.code(damaged, Self.recipients[0])
            switch layout.region(of: position) {
            case .magic: #expect(code == .notABundle, "byte \(position)")
            case .version: #expect(code == .unsupportedVersion, "byte \(position)")
            case .count: #expect(code == .malformed || code == .truncated, "byte \(position)")
            case .recipientID: #expect(code == .notForThisNode, "byte \(position)")
            case .slot, .stream: #expect(code == .corrupt, "byte \(position): \(String(describing: code))")
            }
        }
    }

    @Test func everyFlippedByteIsRefusedWithThreeRecipients() throws {
        let layout = SealedLayout(Self.triple)
        for position in Self.triple.indices {
            var damaged = Self.triple
            damaged[position] ^= 0x01
            for (index, keys) in Self.recipients.enumerated() {
                let code = Self.code(damaged, keys)
                switch layout.region(of: position) {
                case .magic: #expect(code == .notABundle)
                case .version: #expect(code == .unsupportedVersion)
                case .count: #expect(code != nil, "byte \(position)")  // 2 recipients: fewer ids, the rest is stream
                case .recipientID(let owner):
                    // Its own id gone, a recipient is not one; another's changed, the signature fails.
                    #expect(
                        code == (owner == index ? .notForThisNode : .corrupt), "byte \(position), recipient \(index)")
                case .slot(let owner):
                    // Each recipient reads only its own slot; another's damaged slot does not concern it.
                    #expect(code == (owner == index ? .corrupt : nil), "byte \(position), recipient \(index)")
                case .stream: #expect(code == .corrupt, "byte \(position)")
                }
            }
        }
    }

    @Test func otherVersionsAreRefused() throws {
        // Version 1 bundles are plain frames: neither signed nor encrypted, so no longer accepted.
        let versionOne = try ProtocolFiles.hexFile("bundle-v1-example.hex")
        for bytes in [versionOne, Array(Self.single[0..<8]) + [0, 1] + Array(Self.single[10...])] {
            let error = try #require(Self.error(bytes, Self.recipients[0]))
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("neither signed nor encrypted"))
            #expect(throws: BundleError.self) { try SealedBundle.recipients(of: bytes) }
        }
        for version: UInt16 in [0, 3, 0x0200, .max] {
            var bytes = Self.single
            bytes[8] = UInt8(version >> 8)
            bytes[9] = UInt8(version & 0xFF)
            let error = try #require(Self.error(bytes, Self.recipients[0]))
            #expect(error.code == .unsupportedVersion, "version \(version)")
            #expect(error.message.contains("\(version)"))
            if version > 2 { #expect(error.message.contains("update Waypost")) }
        }
    }

    @Test func recipientCountsOutOfRangeAreRefused() {
        let layout = SealedLayout(Self.single)
        let recipient = (
            id: Array(Self.single[layout.recipients[0].id]), slot: Array(Self.single[layout.recipients[0].slot])
        )
        let stream = Array(Self.single[layout.stream])
        #expect(Self.code(SealedLayout.assemble(recipients: [], stream: stream), Self.recipients[0]) == .malformed)
        let tooMany = Array(repeating: recipient, count: 257)
        #expect(Self.code(SealedLayout.assemble(recipients: tooMany, stream: stream), Self.recipients[0]) == .malformed)
        #expect(throws: BundleError.self) {
            try SealedBundle.recipients(of: SealedLayout.assemble(recipients: tooMany, stream: stream))
        }
        // A count over the limit is refused from the count alone, before any recipient is read.
        #expect(Self.code(Bundle.magic + [0, 2, 0x81, 0x02], Self.recipients[0]) == .malformed)
        #expect(
            Self.code(Bundle.magic + [0, 2] + Array(repeating: 0xFF, count: 9) + [0x01], Self.recipients[0])
                == .malformed)
        // Two slots for one recipient: the first is used.
        let twice = SealedLayout.assemble(recipients: [recipient, recipient], stream: stream)
        #expect(Self.code(twice, Self.recipients[0]) == .corrupt)  // the signed recipient list is not the same
    }

    @Test func openingOnlyEverReturnsWhatTheSenderSealed() throws {
        // Random damage of many kinds: whatever opens is exactly what was sealed.
        var generator = SeededGenerator(seed: 0x5EA1)
        for _ in 0..<2000 {
            var damaged = Self.triple
            BundleFuzzTests.mutate(&damaged, using: &generator)
            let keys = Self.recipients[generator.int(0..<3)]
            if let (sender, frames) = try? SealedBundle.open(damaged, with: keys) {
                #expect(sender == Self.sender.publicKey && frames == Self.frames)
            }
        }
    }

    // MARK: Forgery

    /// What recipient `keys` finds in its slot of `sealed`: the content key, the sender, the signature.
    static func openSlot(_ sealed: [UInt8], with keys: SigningKeyPair) throws -> (key: [UInt8], slot: [UInt8]) {
        let layout = SealedLayout(sealed)
        let index = try #require(layout.recipientIDs(in: sealed).firstIndex(of: keys.publicKey))
        let opened = try SealedBox.open(Array(sealed[layout.recipients[index].slot]), with: keys)
        #expect(opened.count == 128)
        #expect(Array(opened[32..<64]) == Self.sender.publicKey.bytes)
        return (Array(opened[0..<32]), opened)
    }

    @Test func aRecipientCannotPassOffOtherContentAsTheSenders() throws {
        // R, a recipient of a bundle S sealed to R and O, knows the content key and holds S's signature. It
        // encrypts other frames under that key and passes the result to O, keeping every slot (or sealing S's
        // key, id and signature anew for O): O refuses it, because S's signature covers the stream.
        let (r, o) = (Self.recipients[0], Self.recipients[1])
        let sealed = Self.seal(to: [r, o])
        let layout = SealedLayout(sealed)
        let (contentKey, slotContents) = try Self.openSlot(sealed, with: r)
        var forgedBatch = BundleSamples.example.batch
        forgedBatch.changes[0] = Change(
            dot: forgedBatch.changes[0].dot, timestamp: forgedBatch.changes[0].timestamp, collection: .caseFile,
            record: BundleSamples.record, field: "given_name", operation: .assign(value: "Someone else", supersedes: [])
        )
        let forgedFrames = BundleWriter.encode(
            Bundle(
                sender: Self.sender.publicKey, createdAt: 0, senderVersions: VersionVector(), batch: forgedBatch))
        let forgedStream = SecretStream.encrypt(forgedFrames, key: SecretBytes(contentKey))
        let recipients = layout.recipients.map { (id: Array(sealed[$0.id]), slot: Array(sealed[$0.slot])) }

        let keptSlots = SealedLayout.assemble(recipients: recipients, stream: forgedStream)
        #expect(Self.code(keptSlots, o) == .corrupt)
        #expect(Self.code(keptSlots, r) == .corrupt)
        let newSlot = SealedLayout.assemble(
            recipients: [recipients[0], (recipients[1].id, try SealedBox.seal(slotContents, to: o.publicKey))],
            stream: forgedStream)
        #expect(Self.code(newSlot, o) == .corrupt)
        // The forger's own stream decrypts under the content key: it is the signature that stops it.
        #expect(try SecretStream.decrypt(forgedStream, key: SecretBytes(contentKey)) == forgedFrames)
    }

    @Test func aRecipientCannotReaddressTheBundle() throws {
        // R passes S's bundle on to a node S did not send it to, or drops or reorders the other recipients,
        // copying S's slot contents into a slot for whoever it likes: the signed recipient list no longer matches.
        let (r, o) = (Self.recipients[0], Self.recipients[1])
        let sealed = Self.seal(to: [r, o])
        let layout = SealedLayout(sealed)
        let stream = Array(sealed[layout.stream])
        let (_, slotContents) = try Self.openSlot(sealed, with: r)
        let original = layout.recipients.map { (id: Array(sealed[$0.id]), slot: Array(sealed[$0.slot])) }
        func slot(for keys: SigningKeyPair) throws -> (id: [UInt8], slot: [UInt8]) {
            (keys.publicKey.bytes, try SealedBox.seal(slotContents, to: keys.publicKey))
        }
        let forwarded = SealedLayout.assemble(recipients: [original[0], try slot(for: Self.outsider)], stream: stream)
        #expect(Self.code(forwarded, Self.outsider) == .corrupt)
        let added = SealedLayout.assemble(recipients: original + [try slot(for: Self.outsider)], stream: stream)
        #expect(Self.code(added, Self.outsider) == .corrupt)
        #expect(Self.code(added, o) == .corrupt)
        let dropped = SealedLayout.assemble(recipients: [original[1]], stream: stream)
        #expect(Self.code(dropped, o) == .corrupt)
        let reordered = SealedLayout.assemble(recipients: original.reversed(), stream: stream)
        #expect(Self.code(reordered, o) == .corrupt)
        // Unchanged, it opens: the hand-built containers are right.
        #expect(Self.code(SealedLayout.assemble(recipients: original, stream: stream), o) == nil)
    }

    @Test func streamsAndSlotsOfTwoBundlesDoNotMix() throws {
        let r = Self.recipients[0]
        let first = Self.seal(to: [r])
        let second = Self.seal(BundleWriter.encode(BundleSamples.bundle([])), to: [r])
        let (a, b) = (SealedLayout(first), SealedLayout(second))
        let swappedStream = Array(first[..<a.stream.lowerBound]) + Array(second[b.stream])
        #expect(Self.code(swappedStream, r) == .corrupt)
        var swappedSlot = first
        swappedSlot.replaceSubrange(a.recipients[0].slot, with: second[b.recipients[0].slot])
        #expect(Self.code(swappedSlot, r) == .corrupt)
    }

    @Test func aRecipientThatSignsItselfIsTheSender() throws {
        // R can of course seal any frames as itself: the container then names R as the sender, and the frames'
        // header (which says S) no longer matches it. That check is the receiver's (`bundle.md` §9).
        let sealed = try SealedBundle.seal(Self.frames, from: Self.recipients[0], to: [Self.recipients[1].publicKey])
        let (sender, frames) = try SealedBundle.open(sealed, with: Self.recipients[1])
        #expect(sender == Self.recipients[0].publicKey)
        #expect(try BundleReader.decode(frames).sender != sender)
    }

    // MARK: Helpers

    static func error(_ bytes: [UInt8], _ keys: SigningKeyPair) -> BundleError? {
        do {
            _ = try SealedBundle.open(bytes, with: keys)
            return nil
        } catch {
            return error
        }
    }

    static func code(_ bytes: [UInt8], _ keys: SigningKeyPair) -> BundleError.Code? { error(bytes, keys)?.code }
}
