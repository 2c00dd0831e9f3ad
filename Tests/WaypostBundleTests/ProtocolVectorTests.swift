import Foundation
import Testing
import WaypostBundle
import WaypostCore

/// The test vectors in `Protocol/vectors/`, which other implementations check themselves against.
@Suite struct ProtocolVectorTests {
    @Test func exampleBundleDecodesToTheDocumentedBundle() throws {
        let bytes = try Self.hexFile("bundle-v1-example.hex")
        #expect(bytes.count == 260)
        let bundle = try BundleReader.decode(bytes)
        #expect(bundle == BundleSamples.example)
        // Field by field too: `==` on strings is Unicode canonical equivalence, not byte equality.
        #expect(bundle.sender == BundleSamples.sender)
        #expect(bundle.createdAt == 1_795_000_060_000)
        #expect(bundle.senderVersions.entries == [BundleSamples.sender: 3, BundleSamples.other: 7])
        #expect(bundle.changes.map(\.dot.sequence) == [1, 2, 3])
        #expect(
            bundle.changes.map(\.timestamp.rawValue) == [
                1_795_000_000_000 << 16, 1_795_000_000_000 << 16 | 1, 1_795_000_001_500 << 16,
            ])
        #expect(bundle.changes.allSatisfy { $0.record.text == "k7f3-m2q4-x4c2-ab5d" })
        #expect(
            bundle.changes.map { Array($0.field.utf8) } == ["given_name", "languages", "notes"].map { Array($0.utf8) })
        #expect(bundle.changes.map(\.operation.argument) == ["Amina", "ar", "Seen at the clinic"])
    }

    @Test func exampleBundleEncodesToTheVectorBytes() throws {
        #expect(BundleWriter.encode(BundleSamples.example) == (try Self.hexFile("bundle-v1-example.hex")))
    }

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

    // MARK: Reading the vector files

    /// The repository's `Protocol/` folder, found from this file's path.
    static let protocolFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // WaypostBundleTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Protocol")

    static func vectorText(_ name: String) throws -> String {
        try String(
            contentsOf: protocolFolder.appendingPathComponent("vectors").appendingPathComponent(name), encoding: .utf8)
    }

    /// The bytes of a `.hex` vector: hex digit pairs, white space ignored, `#` comments to the end of a line.
    static func hexFile(_ name: String) throws -> [UInt8] {
        let digits = try vectorText(name).split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.prefix { $0 != "#" } }
            .joined()
            .filter { !$0.isWhitespace }
        return try hexBytes(String(digits))
    }

    /// The lines of `node-id.txt`: key and expected human form.
    static func nodeIDVectors() throws -> [(key: [UInt8], text: String)] {
        try vectorText("node-id.txt").split(separator: "\n").compactMap { line in
            let content = line.prefix { $0 != "#" }.split(whereSeparator: \.isWhitespace)
            guard !content.isEmpty else { return nil }
            try #require(content.count == 2, "a node id vector line is: KEY-HEX ID")
            return (try hexBytes(String(content[0])), String(content[1]))
        }
    }

    static func hexBytes(_ digits: String) throws -> [UInt8] {
        let characters = Array(digits)
        try #require(characters.count % 2 == 0, "an odd number of hex digits")
        return try stride(from: 0, to: characters.count, by: 2).map { index in
            try #require(
                UInt8(String(characters[index...index + 1]), radix: 16), "not hex: \(characters[index...index + 1])")
        }
    }
}
