import Foundation
import Testing
import WaypostTesting
import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostBundle

/// The bundle test vectors in `Protocol/vectors/`, which other implementations check themselves against,
/// and the worked example in `Protocol/bundle.md`.
@Suite struct ProtocolVectorTests {
    // MARK: Frames

    @Test func theFramesVectorDecodesToTheDocumentedBundle() throws {
        let bytes = try ProtocolFiles.hexFile("bundle-v2-frames.hex")
        #expect(bytes.count == 512)
        let bundle = try BundleReader.decode(bytes)
        #expect(bundle == BundleSamples.example)
        // Field by field too: `==` on strings is Unicode canonical equivalence, not byte equality.
        #expect(bundle.sender == BundleSamples.sender)
        #expect(bundle.createdAt == 1_795_000_060_000)
        #expect(bundle.senderVersions.entries == [BundleSamples.sender: 3, BundleSamples.other: 7])
        #expect(bundle.changes.map(\.dot) == (1...3).map { Dot(origin: BundleSamples.sender, sequence: $0) })
        #expect(
            bundle.changes.map(\.timestamp.rawValue) == [
                1_795_000_000_000 << 16, 1_795_000_000_000 << 16 | 1, 1_795_000_001_500 << 16,
            ])
        #expect(bundle.changes.allSatisfy { $0.record.text == "k7f3-m2q4-x4c2-ab5d" && $0.collection == .caseFile })
        #expect(
            bundle.changes.map { Array($0.field.utf8) }
                == ["given_name", "languages", "languages"].map { Array($0.utf8) })
        #expect(bundle.changes.map(\.operation.argument) == ["Amina", "ar", "fr"])
        #expect(bundle.changes[0].operation.supersedes == [Dot(origin: BundleSamples.other, sequence: 7)])
        #expect(bundle.batch.recordKeys == [bundle.changes[0].dot: BundleSamples.recordKey])
        #expect(bundle.batch.signatures == [bundle.changes[2].dot: BundleSamples.exampleSignature])
        #expect(bundle.certificates.map(\.bytes) == [BundleSamples.exampleCertificate.bytes])
    }

    @Test func theExampleBundleEncodesToTheVectorBytes() throws {
        #expect(BundleWriter.encode(BundleSamples.example) == (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
    }

    @Test func theSpecificationShowsTheVectorBytes() throws {
        // The annotated listing of bundle.md §7, offsets included, is the vector byte for byte.
        let listed = try ProtocolFiles.listing("bundle-v2-frames", in: "bundle.md")
        #expect(listed == (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
    }

    @Test func theVectorsSignatureVerifies() throws {
        // The signature in the frames is S's over its chain head at change 3 (`trust.md` §2).
        let bundle = try BundleReader.decode(try ProtocolFiles.hexFile("bundle-v2-frames.hex"))
        let dot = bundle.changes[2].dot
        #expect(
            SignatureVerifier.isValid(
                try #require(bundle.batch.signatures[dot]),
                of: Array("waypost/head/v1".utf8) + [0] + dot.origin.bytes + [0, 0, 0, 0, 0, 0, 0, 3]
                    + BundleSamples.exampleHeads[2],
                by: dot.origin))
        #expect(bundle.certificates[0].isSignedByIssuer)
    }

    // MARK: Sealed container

    static func sealedVector() throws -> (bytes: [UInt8], recipient: SigningKeyPair, sender: NodeID) {
        let parameters = try ProtocolFiles.hexFileParameters("bundle-v2-sealed.hex")
        let seed = try ProtocolFiles.hexBytes(try #require(parameters["recipient-seed"]))
        let recipient = try SigningKeyPair(seed: seed)
        #expect(ProtocolFiles.hex(recipient.publicKey.bytes) == parameters["recipient"])
        let sender = NodeID(bytes: try ProtocolFiles.hexBytes(try #require(parameters["sender"])))
        let senderSeed = try ProtocolFiles.hexBytes(try #require(parameters["sender-seed"]))
        #expect(try SigningKeyPair(seed: senderSeed).publicKey == sender)
        return (try ProtocolFiles.hexFile("bundle-v2-sealed.hex"), recipient, sender)
    }

    @Test func theSealedVectorOpensWithTheRecipientsKey() throws {
        let (bytes, recipient, sender) = try Self.sealedVector()
        #expect(recipient.publicKey == BundleSamples.recipient && sender == BundleSamples.sender)
        #expect(bytes.count == 776)
        let opened = try SealedBundle.open(bytes, with: recipient)
        #expect(opened.sender == sender)
        #expect(opened.frames == (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
        #expect(try BundleReader.decode(opened.frames) == BundleSamples.example)
        #expect(try SealedBundle.recipients(of: bytes) == [recipient.publicKey])
        // Not for the sender, nor anyone else.
        for keys in [BundleSamples.senderKeys, BundleSamples.otherKeys, BundleSamples.networkKeys] {
            let error = #expect(throws: BundleError.self) { try SealedBundle.open(bytes, with: keys) }
            #expect(error?.code == .notForThisNode)
        }
    }

    @Test func theSealedVectorIsBuiltAsSpecified() throws {
        // Taken apart by hand, following bundle.md §10 rather than SealedBundle.
        let (bytes, recipient, sender) = try Self.sealedVector()
        let layout = SealedLayout(bytes)
        #expect(Array(bytes[0..<10]) == Array("WAYPOSTB".utf8) + [0x00, 0x02])
        #expect(layout.recipientIDs(in: bytes) == [recipient.publicKey])
        let slot = try SealedBox.open(Array(bytes[layout.recipients[0].slot]), with: recipient)
        #expect(slot.count == 128)
        let contentKey = Array(slot[0..<32])
        #expect(Array(slot[32..<64]) == sender.bytes)
        let signature = Array(slot[64..<128])
        let stream = Array(bytes[layout.stream])
        var hasher = Blake2b(outputLength: 32)
        hasher.update(Array("waypost/bundle/v2".utf8) + [0])
        hasher.update([0x00, 0x02])
        hasher.update(recipient.publicKey.bytes)
        hasher.update(stream)
        #expect(SignatureVerifier.isValid(signature, of: hasher.finalize(), by: sender))
        // One chunk, tagged final, of the frames.
        #expect(Array(stream[24..<28]) == [0x00, 0x00, 0x02, 0x11])
        #expect(
            try SecretStream.decrypt(stream, key: SecretBytes(contentKey))
                == (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
    }

    @Test func theSealedVectorRefusesEveryChangedByte() throws {
        let (bytes, recipient, _) = try Self.sealedVector()
        let layout = SealedLayout(bytes)
        for position in bytes.indices {
            var changed = bytes
            changed[position] ^= 0x01
            let code: BundleError.Code?
            do {
                _ = try SealedBundle.open(changed, with: recipient)
                code = nil
            } catch {
                code = error.code
            }
            switch layout.region(of: position) {
            case .magic: #expect(code == .notABundle)
            case .version: #expect(code == .unsupportedVersion)
            case .count: #expect(code == .malformed)  // 1 becomes 0
            case .recipientID: #expect(code == .notForThisNode)
            case .slot, .stream: #expect(code == .corrupt, "byte \(position)")
            }
        }
    }

    // MARK: Version 1

    @Test func theVersionOneExampleIsRefused() throws {
        // Kept only for this: version 1 bundles were plain frames, neither signed nor encrypted.
        let bytes = try ProtocolFiles.hexFile("bundle-v1-example.hex")
        #expect(Array(bytes[8..<10]) == [0, 1])
        let error = #expect(throws: BundleError.self) {
            try SealedBundle.open(bytes, with: BundleSamples.recipientKeys)
        }
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.message.contains("neither signed nor encrypted") == true)
        #expect(throws: BundleError.self) { try SealedBundle.recipients(of: bytes) }
    }

    // MARK: Node ids

    @Test func nodeIDVectorsParseAndPrint() throws {
        let vectors = try Self.nodeIDVectors()
        #expect(vectors.count >= 3)
        for (key, text) in vectors {
            let node = NodeID(bytes: key)
            #expect(node.description == text)
            #expect(try NodeID(parsing: text) == node)
            #expect(try NodeID(parsing: text.lowercased()) == node)
            #expect(try NodeID(parsing: text.replacingOccurrences(of: "-", with: "")) == node)
            #expect(try NodeID(parsing: text.replacingOccurrences(of: "-", with: " ")) == node)
        }
    }

    @Test func nodeIDVectorsRefuseATypo() throws {
        for (_, text) in try Self.nodeIDVectors() {
            var characters = Array(text)
            // Change the first character of each 13-character block: its check character no longer fits.
            for position in [0, 15, 30, 46] {
                let original = characters[position]
                characters[position] = original == "A" ? "B" : "A"
                #expect(throws: CoreError.self) { try NodeID(parsing: String(characters)) }
                characters[position] = original
            }
        }
    }

    /// The lines of `node-id.txt`: key and expected human form.
    static func nodeIDVectors() throws -> [(key: [UInt8], text: String)] {
        try ProtocolFiles.text("vectors/node-id.txt").split(separator: "\n").compactMap { line in
            let content = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            guard !content.isEmpty else { return nil }
            try #require(content.count == 2, "a node id vector line is: KEY-HEX ID")
            return (try ProtocolFiles.hexBytes(String(content[0])), String(content[1]))
        }
    }
}
