import Foundation
public import WaypostCore
public import WaypostCrypto
import WaypostStore

/// What ``Node/backup(to:keys:)`` wrote.
public struct BackupSummary: Sendable {
    /// The backup file's size in bytes.
    public let bytes: Int
    /// The files of the home it holds: the replica snapshot and each network key file.
    public let files: [String]
    /// The last of this node's own changes the snapshot holds.
    public let sequence: UInt64
}

/// What ``Node/restore(from:home:passphrase:replacing:)`` brought back.
public struct RestoreSummary: Sendable {
    /// The restored node's id.
    public let node: NodeID
    /// The last of the node's own changes the backup held: the gate's sequence.
    public let sequence: UInt64
    /// The files written into the home.
    public let files: [String]
}

/// What ``Node/resumeWrites()`` found.
public struct ResumeSummary: Sendable {
    /// The last of the node's own changes it holds now.
    public let held: UInt64
    /// The last of its own changes the backup held, if the node was waiting to resume.
    public let backupHeld: UInt64?
    /// The sequence of its next change.
    public let next: UInt64
}

extension Node {
    /// Writes a backup of this node to `path` (`Protocol/backup.md`): the identity key file as it is, then,
    /// encrypted under a key derived from the storage key, a consistent snapshot of the replica (SQLite's
    /// `VACUUM INTO`, safe while `serve` runs) and the network key files. Mode 0600; never overwrites.
    ///
    /// - Parameter keys: this node's identity key (the backup is sealed under the storage key derived from it).
    /// - Throws: ``NodeError`` `file` if `path` exists or a file cannot be written; nothing is left behind.
    public func backup(to path: String, keys: SigningKeyPair) throws(NodeError) -> BackupSummary {
        guard keys.publicKey == id else { throw NodeError(.identity, "the key given is not this node's") }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw NodeError(.file, "\(path) exists already; choose another --out (a backup never overwrites a file)")
        }
        let keyFile: [UInt8]
        do { keyFile = try KeyFile.read(home.identityPath) } catch {
            throw NodeError(.identity, "cannot read the key file \(home.identityPath): \(error)")
        }
        let snapshot = home.path + "/backup-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-journal", "-wal", "-shm"] { unlink(snapshot + suffix) } }
        var entries: [BackupFile.Entry] = []
        do {
            try replica.snapshot(into: snapshot)
            entries.append(BackupFile.Entry(name: BackupFile.replicaName, bytes: try KeyFile.read(snapshot)))
            for network in KeyFile.networkKeyPaths(in: home) {
                entries.append(
                    BackupFile.Entry(
                        name: "networks/" + (network as NSString).lastPathComponent, bytes: try KeyFile.read(network)))
            }
        } catch let error as StoreError {
            throw NodeError(.file, error.message, cause: error)
        } catch {
            throw NodeError(.file, "cannot read the node's files for the backup: \(error)")
        }
        let sequence: UInt64
        do { sequence = try replica.versions()[id] } catch { throw NodeError(.file, error.message, cause: error) }
        let bytes = BackupFile(keyFile: keyFile, entries: entries).encoded(storageKey: StorageKey(derivedFrom: keys))
        let partial = path + ".partial-\(getpid())"
        do {
            try KeyFile.write(bytes, to: partial)
            guard rename(partial, path) == 0 else {
                throw NodeError(.file, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(partial)
            throw error as? NodeError ?? NodeError(.file, "cannot write \(path): \(error)")
        }
        return BackupSummary(bytes: bytes.count, files: entries.map(\.name), sequence: sequence)
    }

    /// Brings a node back into `home` from a backup: its identity key file, replica, peers, networks and
    /// network keys, the replica **gated** (``WaypostStore/SQLiteReplica/gateRestored(at:storageKey:)``):
    /// it receives changes but signs nothing until ``resumeWrites()``.
    ///
    /// Everything is read, decrypted and checked before anything in `home` changes. The replica is put in
    /// place last, by a rename, after its `-wal` and `-shm` files (a damaged replica's) are removed.
    ///
    /// - Parameter replacing: also replace a replica that opens and works, or a key file of another node.
    /// - Throws: ``NodeError`` `backup` for a file that is not a backup, cut short, altered or another node's;
    ///   `wrongPassphrase`; `alreadyInitialised` for a home with a working replica or another node's key
    ///   (unless `replacing`); `alreadyRunning` while `serve` runs on `home`.
    public static func restore(
        from path: String, home: NodeHome, passphrase: () throws(CryptoError) -> String, replacing: Bool
    ) throws(NodeError) -> RestoreSummary {
        let bytes: [UInt8]
        do { bytes = try KeyFile.read(path) } catch { throw NodeError(.file, "cannot read \(path): \(error)") }
        let keyFile = try BackupFile.keyFile(of: bytes, path: path).keyFile
        let keys: SigningKeyPair
        do throws(CryptoError) {
            let secret = try PassphraseProtection.open(keyFile, passphrase: passphrase)
            var raw = secret.withUnsafeBytes { Array($0) }
            defer { for index in raw.indices { raw[index] = 0 } }
            keys = try SigningKeyPair(secretKey: raw)
        } catch {
            // A wrong passphrase exits 7 and no passphrase at all 1, as for every command; a damaged key file
            // is a damaged backup.
            let code: NodeError.Code =
                switch error.code {
                case .wrongPassphrase: .wrongPassphrase
                case .noPassphrase, .cancelled, .insufficientMemory, .unavailable: .identity
                default: .backup
                }
            throw NodeError(code, "\(path): \(error.message)", cause: error)
        }
        let storageKey = StorageKey(derivedFrom: keys)
        let backup = try BackupFile.decode(bytes, storageKey: storageKey, path: path)
        let files = FileManager.default
        do {
            try files.createDirectory(
                atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { throw NodeError(.file, "cannot create \(home.path): \(error)") }
        home.restrictToOwner()
        let lock = try ServeLock.acquire(home: home)
        defer { withExtendedLifetime(lock) {} }
        if !replacing {
            if let existing = try? KeyFile.read(home.identityPath), existing != keyFile,
                (try? KeyFile.open(home.identityPath, passphrase: passphrase).publicKey) != keys.publicKey
            {
                throw NodeError(
                    .alreadyInitialised,
                    "\(home.identityPath) holds another node's key (or one that does not open with this passphrase); "
                        + "nothing was changed; restore into another --home, or give --replace to overwrite it")
            }
            if files.fileExists(atPath: home.replicaPath),
                let working = try? SQLiteReplica.open(at: home.replicaPath, storageKey: storageKey)
            {
                try? working.closeDatabase()
                throw NodeError(
                    .alreadyInitialised,
                    "the replica in \(home.path) opens and works; nothing was changed; restoring would replace it and "
                        + "lose what it holds beyond the backup: give --replace if that is what you want")
            }
        }
        // The snapshot becomes a gated replica beside the old one, then takes its place.
        let incoming = home.replicaPath + ".restoring"
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(incoming + suffix) }
        let sequence: UInt64
        do {
            try KeyFile.write(backup.entries[0].bytes, to: incoming)
            let restored = try SQLiteReplica.gateRestored(at: incoming, storageKey: storageKey)
            guard restored.node == keys.publicKey else {
                throw NodeError(
                    .backup, "\(path) holds a replica of another node than its key file's; nothing was changed")
            }
            sequence = restored.sequence
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(incoming + suffix) }
            if let error = error as? NodeError { throw error }
            let message = (error as? StoreError)?.message ?? "\(error)"
            throw NodeError(
                .backup, "\(path): its replica does not open: \(message); nothing was changed",
                cause: error as? StoreError)
        }
        var written: [String] = []
        do {
            try KeyFile.replace(home.identityPath, with: backup.keyFile)
            written.append("identity.key")
            for entry in backup.entries.dropFirst() {
                try files.createDirectory(
                    atPath: home.path + "/networks", withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                try KeyFile.replace(home.path + "/" + entry.name, with: entry.bytes)
                written.append(entry.name)
            }
            for suffix in ["-wal", "-shm", "-journal"] { unlink(home.replicaPath + suffix) }
            guard rename(incoming, home.replicaPath) == 0 else {
                throw NodeError(.file, "cannot put the restored replica in place: \(String(cString: strerror(errno)))")
            }
            written.insert(BackupFile.replicaName, at: 0)
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] { unlink(incoming + suffix) }
            throw error as? NodeError ?? NodeError(.file, "cannot restore into \(home.path): \(error)")
        }
        home.restrictToOwner()
        return RestoreSummary(node: keys.publicKey, sequence: sequence, files: written)
    }

    /// Whether this node was restored from a backup and signs nothing yet, with the last of its own changes
    /// the backup held (or, once resumed, the last it held then).
    public func writeGate() throws(NodeError) -> (restored: Bool, sequence: UInt64) {
        do { return try replica.writeGate() } catch { throw NodeError(.file, error.message, cause: error) }
    }

    /// Lets a restored node sign again (`waypost restore --resume`), after it has synced with its peers.
    ///
    /// - Returns: the last of its own changes it holds now, and the sequence of its next change (one more).
    /// - Throws: ``NodeError`` `file` with the replica's refusal while its own later changes are held waiting.
    public func resumeWrites() throws(NodeError) -> ResumeSummary {
        let before: UInt64?
        do { before = (try? replica.writeGate()).flatMap { $0.restored ? $0.sequence : nil } }
        let held: UInt64
        do { held = try replica.resumeWrites() } catch { throw NodeError(.file, error.message, cause: error) }
        return ResumeSummary(held: held, backupHeld: before, next: held + 1)
    }
}
