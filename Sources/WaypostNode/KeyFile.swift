import Foundation
import WaypostCore
import WaypostCrypto

/// Key files on disk: the identity key and network keys, each a `PassphraseProtection` blob
/// (`Protocol/keys.md`) in a file of mode 0600, written so that a crash never leaves half a key.
enum KeyFile {
    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads and decrypts a key pair.
    static func open(_ path: String, passphrase: () throws(CryptoError) -> String) throws(NodeError) -> SigningKeyPair {
        let blob: [UInt8]
        do { blob = try read(path) } catch {
            throw NodeError(.identity, "cannot read the key file \(path); restore it from a backup")
        }
        do throws(CryptoError) {
            let secret = try PassphraseProtection.open(blob, passphrase: passphrase)
            var bytes = secret.withUnsafeBytes { Array($0) }
            defer { for index in bytes.indices { bytes[index] = 0 } }
            return try SigningKeyPair(secretKey: bytes)
        } catch {
            throw NodeError(error.code == .wrongPassphrase ? .wrongPassphrase : .identity, "\(path): \(error.message)", cause: error)
        }
    }

    /// Creates a new key file (refusing to overwrite one), mode 0600, synced to disk.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw NodeError(.file, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw NodeError(.file, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces a key file atomically: a new file beside it, synced, renamed over it.
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".new"
        unlink(temporary)
        try write(bytes, to: temporary)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw NodeError(.file, "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Where the key of a network this node created is kept.
    static func networkKeyPath(_ network: NodeID, in home: NodeHome) -> String {
        home.path + "/networks/" + network.description.filter { $0 != "-" } + ".key"
    }

    /// The key files of every network this node created.
    static func networkKeyPaths(in home: NodeHome) -> [String] {
        let directory = home.path + "/networks"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".key") }.sorted().map { directory + "/" + $0 }
    }
}
