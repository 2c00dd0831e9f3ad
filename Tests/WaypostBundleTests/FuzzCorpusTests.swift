import Foundation
import Testing
import WaypostCore
import WaypostTesting

@testable import WaypostBundle

/// The committed seeds of the bundle fuzz targets (`Fuzz/Corpus`, written by `Fuzz/make-corpus` from the
/// protocol vectors) are still valid inputs, so that `Scripts/fuzz` starts deep in the decoders after
/// the format changes: every frames seed decodes, and the sealed seed opens to the vector's frames.
@Suite struct FuzzCorpusTests {
    static let corpus = ProtocolFiles.folder.deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    static func seeds(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = corpus.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { name in
            (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    @Test func everyFramesSeedDecodes() throws {
        let seeds = try Self.seeds("bundle-frames")
        #expect(seeds.count >= 5)
        for (name, bytes) in seeds {
            let bundle = try BundleReader.decode(bytes)
            #expect(try BundleReader.decode(BundleWriter.encode(bundle)) == bundle, "\(name)")
        }
    }

    @Test func theSealedSeedOpensToTheVectorsFrames() throws {
        let seeds = Dictionary(uniqueKeysWithValues: try Self.seeds("sealed-bundle").map { ($0.name, $0.bytes) })
        let opened = try SealedBundle.open(try #require(seeds["sealed-example"]), with: BundleSamples.recipientKeys)
        #expect(opened.sender == BundleSamples.sender)
        #expect(opened.frames == (try ProtocolFiles.hexFile("bundle-v2-frames.hex")))
    }
}
