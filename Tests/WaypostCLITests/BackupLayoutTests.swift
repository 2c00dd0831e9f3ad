import Foundation
import Testing
import WaypostCrypto

/// A backup made by the binary, read back with nothing but `Protocol/backup.md` §2 and libsodium's
/// primitives: every byte of the layout is where the document says.
@Suite struct BackupLayoutTests {
    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 << 8 | Int($1) } }

    @Test func everyByteIsWhereProtocolBackupMdSays() throws {
        let sandbox = try Sandbox()
        let node = try sandbox.node("post")
        try node.succeed(["network", "create", "--name", "north-corridor"])
        try node.succeed(["case", "add", "given_name=Amina"])
        let path = sandbox.path("post.wpbk")
        try node.succeed(["backup", "--out", path])
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))

        // The header: magic, version, the key file's length, the key file as it is in the home.
        #expect(Array(file[0..<8]) == Array("WPBACKUP".utf8))
        #expect(file[8] == 1)
        let keyLength = Self.bigEndian(file[9..<11])
        #expect(keyLength == 143)
        let keyFile = Array(file[11..<(11 + keyLength)])
        #expect(keyFile == [UInt8](try Data(contentsOf: URL(fileURLWithPath: node.home + "/identity.key"))))
        let header = Array(file[..<(11 + keyLength)])

        // The stream key: BLAKE2b-256 keyed with the storage key over "waypost/backup/v1" 00.
        let secret = try PassphraseProtection.open(keyFile) { () throws(CryptoError) in WaypostProcess.passphrase }
        let identity = try SigningKeyPair(secretKey: secret.withUnsafeBytes { Array($0) })
        let storage = StorageKey(derivedFrom: identity)
        let streamKey = storage.bytes.withUnsafeBytes {
            Blake2b.hash(Array("waypost/backup/v1".utf8) + [0], outputLength: 32, key: Array($0))
        }
        let stream = Array(file[header.count...])
        let contents = try SecretStream.decrypt(stream, key: SecretBytes(streamKey))
        // One chunk header, then a length and 17 bytes per chunk of at most 65,536.
        let chunks = max(1, (contents.count + 65535) / 65536)
        #expect(stream.count == 24 + chunks * 21 + contents.count)

        // The contents: the header's digest, the file count, each file.
        #expect(Array(contents[0..<32]) == Blake2b.hash(header))
        #expect(Self.bigEndian(contents[32..<36]) == 2)
        var offset = 36
        var files: [(String, [UInt8])] = []
        while offset < contents.count {
            let nameLength = Self.bigEndian(contents[offset..<(offset + 2)])
            let name = String(decoding: contents[(offset + 2)..<(offset + 2 + nameLength)], as: UTF8.self)
            offset += 2 + nameLength
            let size = Self.bigEndian(contents[offset..<(offset + 8)])
            files.append((name, Array(contents[(offset + 8)..<(offset + 8 + size)])))
            offset += 8 + size
        }
        #expect(offset == contents.count)
        #expect(files.map(\.0).first == "replica.sqlite")
        #expect(files.first.map { Array($0.1.prefix(16)) } == Array("SQLite format 3".utf8) + [0])
        let networkKeys = try FileManager.default.contentsOfDirectory(atPath: node.home + "/networks")
        #expect(files.dropFirst().map(\.0) == networkKeys.map { "networks/" + $0 })
        for (name, bytes) in files.dropFirst() {
            #expect(bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: node.home + "/" + name))))
        }
    }
}
