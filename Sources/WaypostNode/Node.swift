import Foundation
import WaypostBundle
public import WaypostCore
public import WaypostCrypto
public import WaypostStore

/// A Waypost node as one process sees it: its home directory, its replica, and (when a command needs
/// to sign, decrypt bundles or read personal data) its identity key.
///
/// The replica's values are encrypted under a key derived from the identity key (``WaypostCrypto/StorageKey``),
/// so a node opened with ``open(home:)`` (no passphrase) can read counts, peers and origins but no
/// value; ``open(home:passphrase:)`` unlocks everything.
public final class Node: Sendable {
    /// Where the node's files are.
    public let home: NodeHome
    /// The replica.
    public let replica: SQLiteReplica
    /// The identity key, when the node was opened with its passphrase.
    private let identity: SigningKeyPair?
    /// This node's id.
    public var id: NodeID { replica.localNode }

    private init(home: NodeHome, replica: SQLiteReplica, identity: SigningKeyPair?) {
        self.home = home
        self.replica = replica
        self.identity = identity
    }

    /// Creates a node: the home directory (mode 0700), a new identity key (mode 0600, under
    /// `passphrase`) and an empty replica whose values are encrypted under a key derived from it.
    ///
    /// - Parameter passphrase: protects the identity key and, through it, every value of the replica;
    ///   nil only for tests and tools that need an unprotected node.
    /// - Parameter limits: how hard Argon2id works on the passphrase; the default (moderate) except in tests.
    /// - Throws: ``NodeError`` `alreadyInitialised` if the home holds a node; nothing is overwritten.
    public static func initialize(
        home: NodeHome, name: String, passphrase: String?, limits: PassphraseLimits = .moderate
    ) throws(NodeError) -> Node {
        let files = FileManager.default
        if files.fileExists(atPath: home.identityPath) || files.fileExists(atPath: home.replicaPath) {
            throw NodeError(
                .alreadyInitialised,
                "a node already exists in \(home.path) (its key file or replica is there); use another --home to create a "
                    + "second one, or, to bring this one back from a backup, 'waypost restore FILE'")
        }
        guard !name.isEmpty, name.count <= 64 else {
            throw NodeError(.invalidName, "give the node a name of 1 to 64 characters with --name")
        }
        // The home is made readable by its owner alone: a directory holding anything else (`--home /tmp` by
        // mistake) is not taken for one.
        if let others = try? files.contentsOfDirectory(atPath: home.path).filter({ !NodeHome.isNodeFile($0) }), !others.isEmpty {
            throw NodeError(
                .file,
                "\(home.path) holds other files (\(others.sorted().prefix(3).joined(separator: ", "))\(others.count > 3 ? ", ..." : "")); "
                    + "give 'init' a new or empty directory with --home; nothing was created")
        }
        let pair: SigningKeyPair
        do {
            try files.createDirectory(atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            home.restrictToOwner()  // a directory that existed keeps its mode otherwise
            pair = try SigningKeyPair.generate()
            try KeyFile.write(PassphraseProtection.seal(pair.secretKey, passphrase: passphrase, limits: limits), to: home.identityPath)
        } catch let error as NodeError {
            throw error
        } catch let error as CryptoError {
            throw NodeError(.identity, error.message, cause: error)
        } catch {
            throw NodeError(.file, "could not create the node in \(home.path): \(error)")
        }
        do {
            let replica = try SQLiteReplica.create(
                at: home.replicaPath, localNode: pair.publicKey, name: name, storageKey: StorageKey(derivedFrom: pair))
            return Node(home: home, replica: replica, identity: pair)
        } catch {
            try? files.removeItem(atPath: home.identityPath)
            throw NodeError(.file, error.message, cause: error)
        }
    }

    /// Opens the node in `home` without its keys: what holds no personal data can be read (counts, peers,
    /// origins, networks); values cannot.
    ///
    /// - Throws: ``NodeError`` `noNode` if there is none; `locked` if the replica must first be encrypted
    ///   (it was written by an older Waypost), which needs ``open(home:passphrase:)``.
    public static func open(home: NodeHome) throws(NodeError) -> Node {
        try open(home: home, identity: nil)
    }

    /// Opens the node in `home` with its identity key, asking for the passphrase if the key is under one:
    /// everything can be read and written.
    ///
    /// - Throws: ``NodeError`` `noNode` if there is none; `wrongPassphrase` or `identity` if the key does not
    ///   open or does not belong to the replica.
    ///
    /// The rows that decide whom the node trusts and dials are checked against their tags (a peer, network,
    /// certificate or directive written into the file by other means is refused, naming the table), unless
    /// `verifyingTrustRows` is false: only for `peer seal`, which accepts them.
    public static func open(
        home: NodeHome, passphrase: () throws(CryptoError) -> String, verifyingTrustRows: Bool = true
    ) throws(NodeError) -> Node {
        guard FileManager.default.fileExists(atPath: home.replicaPath) else {
            throw NodeError(.noNode, "no Waypost node in \(home.path); create one with 'waypost init --name NAME'")
        }
        let node = try open(home: home, identity: try KeyFile.open(home.identityPath, passphrase: passphrase))
        if verifyingTrustRows {
            do { try node.replica.verifyTrustRows() } catch { throw NodeError(.file, error.message, cause: error) }
        }
        return node
    }

    private static func open(home: NodeHome, identity: SigningKeyPair?) throws(NodeError) -> Node {
        guard FileManager.default.fileExists(atPath: home.replicaPath) else {
            throw NodeError(.noNode, "no Waypost node in \(home.path); create one with 'waypost init --name NAME'")
        }
        home.restrictToOwner()
        let replica: SQLiteReplica
        do {
            // The trust rows are checked once the key is known to be this replica's (by the caller).
            replica = try SQLiteReplica.open(
                at: home.replicaPath, storageKey: identity.map(StorageKey.init(derivedFrom:)), verifyingTrustRows: false)
        } catch {
            throw NodeError(error.code == .locked ? .locked : .file, error.message, cause: error)
        }
        if let identity, identity.publicKey != replica.localNode {
            throw NodeError(.identity, "the identity key in \(home.path) does not belong to its replica; restore the right key")
        }
        return Node(home: home, replica: replica, identity: identity)
    }

    /// Whether the identity key is under a passphrase.
    public var isPassphraseProtected: Bool {
        (try? KeyFile.read(home.identityPath)).map(PassphraseProtection.isProtected) ?? false
    }

    /// Reads this node's identity key, asking for the passphrase only if the key is under one.
    ///
    /// - Throws: ``NodeError`` `identity` for a missing, damaged or foreign key, or a wrong passphrase.
    public func signingKeys(passphrase: () throws(CryptoError) -> String) throws(NodeError) -> SigningKeyPair {
        if let identity { return identity }
        let pair = try KeyFile.open(home.identityPath, passphrase: passphrase)
        guard pair.publicKey == id else {
            throw NodeError(.identity, "the identity key in \(home.path) does not belong to its replica; restore the right key")
        }
        return pair
    }

    /// The Argon2id limits the identity key file records, nil if it is not under a passphrase.
    public var passphraseLimits: PassphraseLimits? {
        (try? KeyFile.read(home.identityPath)).flatMap(PassphraseProtection.limits(of:))
    }

    /// Puts the identity key (and the keys of networks this node created) under a new passphrase, or
    /// none, sealed with `limits`: a key file sealed with weaker limits before (interactive ones, by an
    /// older Waypost) is re-sealed with the current ones. Nothing else changes; a failure leaves every
    /// key file as it was.
    public func changePassphrase(
        current: () throws(CryptoError) -> String, new: String?, limits: PassphraseLimits = .moderate
    ) throws(NodeError) {
        let identity = try signingKeys(passphrase: current)
        var rewrites: [(path: String, bytes: [UInt8])] = []
        do {
            rewrites.append((home.identityPath, try PassphraseProtection.seal(identity.secretKey, passphrase: new, limits: limits)))
            for path in KeyFile.networkKeyPaths(in: home) {
                let pair = try KeyFile.open(path, passphrase: current)
                rewrites.append((path, try PassphraseProtection.seal(pair.secretKey, passphrase: new, limits: limits)))
            }
        } catch let error as CryptoError {
            throw NodeError(.identity, error.message, cause: error)
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(.identity, "\(error)")
        }
        for rewrite in rewrites {
            do { try KeyFile.replace(rewrite.path, with: rewrite.bytes) } catch {
                throw NodeError(.file, "cannot rewrite \(rewrite.path): \(error)")
            }
        }
    }
}
