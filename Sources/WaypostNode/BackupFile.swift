import Foundation
import WaypostCore
import WaypostCrypto

/// The bytes of a `waypost backup` file (`Protocol/backup.md` §2): a clear header holding the identity
/// key file as it is (sealed under the passphrase), then a secretstream under a key derived from the
/// node's storage key, holding a snapshot of the replica and the network key files.
struct BackupFile {
    /// One file of the node's home, by its path relative to the home.
    struct Entry: Equatable {
        let name: String
        let bytes: [UInt8]
    }

    static let magic = Array("WPBACKUP".utf8)
    static let version: UInt8 = 1
    static let replicaName = "replica.sqlite"
    static let keyDomain = Array("waypost/backup/v1".utf8) + [0]

    /// The identity key file, as it is in the home.
    let keyFile: [UInt8]
    /// The replica snapshot first, then the network key files in name order.
    let entries: [Entry]

    /// The stream key: BLAKE2b-256 keyed with the storage key over `waypost/backup/v1` ‖ `00`.
    static func streamKey(_ storageKey: StorageKey) -> SecretBytes {
        storageKey.bytes.withUnsafeBytes { key in
            SecretBytes(Blake2b.hash(keyDomain, outputLength: 32, key: Array(key)))
        }
    }

    /// The clear header: magic, version, the key file's length and the key file.
    static func header(keyFile: [UInt8]) -> [UInt8] {
        magic + [version] + [UInt8(keyFile.count >> 8), UInt8(keyFile.count & 0xFF)] + keyFile
    }

    /// The whole file, the stream sealed under `storageKey`.
    func encoded(storageKey: StorageKey) -> [UInt8] {
        let wipe = Self.wipe
        let header = Self.header(keyFile: keyFile)
        var plaintext = Blake2b.hash(header)
        plaintext += Self.bigEndian(UInt64(entries.count), bytes: 4)
        for entry in entries {
            let name = Array(entry.name.utf8)
            plaintext += Self.bigEndian(UInt64(name.count), bytes: 2) + name
            plaintext += Self.bigEndian(UInt64(entry.bytes.count), bytes: 8) + entry.bytes
        }
        defer { wipe(&plaintext) }
        return header + SecretStream.encrypt(plaintext, key: Self.streamKey(storageKey))
    }

    /// The key file in a backup's header, read before the passphrase is asked for.
    ///
    /// - Throws: ``NodeError`` `backup` for a file that is not a Waypost backup, of an unknown version, or
    ///   cut short in its header.
    static func keyFile(of bytes: [UInt8], path: String) throws(NodeError) -> (
        keyFile: [UInt8], stream: ArraySlice<UInt8>
    ) {
        guard bytes.count >= magic.count + 3, Array(bytes[..<magic.count]) == magic else {
            throw NodeError(.backup, "\(path) is not a Waypost backup (made by 'waypost backup'); nothing was changed")
        }
        guard bytes[magic.count] == version else {
            throw NodeError(
                .backup,
                "\(path) is a backup of version \(bytes[magic.count]), which this Waypost cannot read; update Waypost")
        }
        let length = Int(bytes[magic.count + 1]) << 8 | Int(bytes[magic.count + 2])
        let start = magic.count + 3
        guard bytes.count >= start + length else {
            throw NodeError(
                .backup, "\(path) is cut short (its header is incomplete); copy it again; nothing was changed")
        }
        return (Array(bytes[start..<(start + length)]), bytes[(start + length)...])
    }

    /// Decrypts and checks a whole backup.
    ///
    /// - Throws: ``NodeError`` `backup` for a file cut short, altered, or not made by this node's key;
    ///   nothing is returned until every byte has been authenticated.
    static func decode(_ bytes: [UInt8], storageKey: StorageKey, path: String) throws(NodeError) -> BackupFile {
        let (keyFile, stream) = try Self.keyFile(of: bytes, path: path)
        var plaintext: [UInt8]
        do {
            plaintext = try SecretStream.decrypt(Array(stream), key: streamKey(storageKey))
        } catch {
            let what =
                switch error.code {
                case .truncated: "is cut short"
                default: "was altered or damaged, or was not made by this node"
                }
            throw NodeError(.backup, "\(path) \(what) (\(error.message)); nothing was changed", cause: error)
        }
        defer { wipe(&plaintext) }
        let malformed = NodeError(.backup, "\(path) is malformed inside its encryption; nothing was changed")
        guard plaintext.count >= 36, Array(plaintext[..<32]) == Blake2b.hash(header(keyFile: keyFile)) else {
            throw NodeError(.backup, "\(path): its header was altered (its digest does not match); nothing was changed")
        }
        var offset = 32
        func number(_ count: Int) throws(NodeError) -> Int {
            guard plaintext.count - offset >= count else { throw malformed }
            let value = plaintext[offset..<(offset + count)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            offset += count
            guard value <= UInt64(Int.max) else { throw malformed }
            return Int(value)
        }
        func take(_ count: Int) throws(NodeError) -> [UInt8] {
            guard plaintext.count - offset >= count else { throw malformed }
            defer { offset += count }
            return Array(plaintext[offset..<(offset + count)])
        }
        let count = try number(4)
        var entries: [Entry] = []
        for _ in 0..<count {
            let name = String(decoding: try take(try number(2)), as: UTF8.self)
            let file = try take(try number(8))
            guard isAllowed(name, first: entries.isEmpty), !entries.contains(where: { $0.name == name }) else {
                throw malformed
            }
            entries.append(Entry(name: name, bytes: file))
        }
        guard offset == plaintext.count, entries.first?.name == replicaName else { throw malformed }
        return BackupFile(keyFile: keyFile, entries: entries)
    }

    /// The names a backup may hold: the replica first, then `networks/NAME.key` with NAME of letters and digits.
    private static func isAllowed(_ name: String, first: Bool) -> Bool {
        if first { return name == replicaName }
        guard name.hasPrefix("networks/"), name.hasSuffix(".key") else { return false }
        let stem = name.dropFirst("networks/".count).dropLast(".key".count)
        return !stem.isEmpty && stem.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// Zeroes plaintext before it is released.
    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in if let base = buffer.baseAddress { _ = memset(base, 0, buffer.count) }
        }
    }

    private static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
