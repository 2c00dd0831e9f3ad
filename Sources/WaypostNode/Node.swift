import Foundation
import WaypostBundle
public import WaypostCore
import WaypostCrypto
public import WaypostStore

/// A Waypost node as one process sees it: its home directory, its identity and its replica.
public final class Node: Sendable {
    /// Where the node's files are.
    public let home: NodeHome
    /// The replica.
    public let replica: SQLiteReplica
    /// This node's id.
    public var id: NodeID { replica.localNode }

    private init(home: NodeHome, replica: SQLiteReplica) {
        self.home = home
        self.replica = replica
    }

    /// Creates a node: the home directory (mode 0700), a new identity key (mode 0600) and an empty
    /// replica.
    ///
    /// - Throws: ``NodeError`` `alreadyInitialised` if the home holds a node; nothing is overwritten.
    public static func initialize(home: NodeHome, name: String) throws(NodeError) -> Node {
        let files = FileManager.default
        if files.fileExists(atPath: home.identityPath) || files.fileExists(atPath: home.replicaPath) {
            throw NodeError(
                .alreadyInitialised, "a node already exists in \(home.path); use another --home to create a second one")
        }
        guard !name.isEmpty, name.count <= 64 else {
            throw NodeError(.identity, "give the node a name of 1 to 64 characters with --name")
        }
        let pair: SigningKeyPair
        do {
            try files.createDirectory(atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            pair = try SigningKeyPair.generate()
            try writeSecret(pair.secretKeyBytes, to: home.identityPath)
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(.file, "could not create the node in \(home.path): \(error)", cause: error)
        }
        do {
            let replica = try SQLiteReplica.create(at: home.replicaPath, localNode: pair.publicKey, name: name)
            return Node(home: home, replica: replica)
        } catch {
            try? files.removeItem(atPath: home.identityPath)
            throw NodeError(.file, error.message, cause: error)
        }
    }

    /// Opens the node in `home`, checking that its identity key and replica belong together.
    ///
    /// - Throws: ``NodeError`` `noNode` if there is none, `identity` if the key is damaged or is not
    ///   the replica's.
    public static func open(home: NodeHome) throws(NodeError) -> Node {
        guard FileManager.default.fileExists(atPath: home.replicaPath) else {
            throw NodeError(.noNode, "no Waypost node in \(home.path); create one with 'waypost init --name NAME'")
        }
        let pair: SigningKeyPair
        do {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: home.identityPath))
            pair = try SigningKeyPair(secretKey: Array(bytes))
        } catch let error as CryptoError {
            throw NodeError(.identity, "\(home.identityPath): \(error.message)", cause: error)
        } catch {
            throw NodeError(.identity, "cannot read this node's identity key \(home.identityPath): \(error.localizedDescription)")
        }
        let replica: SQLiteReplica
        do { replica = try SQLiteReplica.open(at: home.replicaPath) } catch {
            throw NodeError(.file, error.message, cause: error)
        }
        guard replica.localNode == pair.publicKey else {
            throw NodeError(.identity, "the identity key in \(home.path) does not belong to its replica; restore the right key")
        }
        return Node(home: home, replica: replica)
    }

    private static func writeSecret(_ bytes: [UInt8], to path: String) throws {
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw NodeError(.file, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw NodeError(.file, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
