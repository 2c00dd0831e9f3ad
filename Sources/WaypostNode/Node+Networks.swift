import Foundation
public import WaypostCore
public import WaypostCrypto
import WaypostStore
public import WaypostTrust

extension Node {
    /// Creates a network: a new network key (kept in this node's home under the node's passphrase),
    /// joined by this node, which it enrolls as the network's first admin.
    ///
    /// - Parameter limits: how hard Argon2id works on the network key's passphrase; by default the
    ///   identity key's own (one passphrase opens both, so a guesser would try the weaker file), or
    ///   moderate ones for a node whose identity key is not under a passphrase.
    /// - Returns: the network's id, to give to every node that should join it.
    public func createNetwork(
        name: String, keys: SigningKeyPair, passphrase: String?, limits: PassphraseLimits? = nil
    ) throws(NodeError) -> NodeID {
        let limits = limits ?? passphraseLimits ?? .moderate
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw NodeError(.invalidName, "give the network a name of 1 to 64 bytes with --name")
        }
        let networkKeys: SigningKeyPair
        do {
            networkKeys = try SigningKeyPair.generate()
            try FileManager.default.createDirectory(
                atPath: home.path + "/networks", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try KeyFile.write(
                PassphraseProtection.seal(networkKeys.secretKey, passphrase: passphrase, limits: limits),
                to: KeyFile.networkKeyPath(networkKeys.publicKey, in: home))
        } catch let error as NodeError {
            throw error
        } catch let error as CryptoError {
            throw NodeError(.identity, error.message, cause: error)
        } catch {
            throw NodeError(.file, "cannot save the network key: \(error)")
        }
        let network = networkKeys.publicKey
        let certificate = Certificate.issue(
            network: network, node: id, role: .admin, name: (try? replica.name()) ?? name,
            issuedAt: SQLiteReplica.systemWallClock(), by: networkKeys)
        do {
            try replica.recordNetworkKey(network, name: name)
            try replica.join(network: network)
            try replica.store([certificate])
        } catch {
            throw NodeError(.network, error.message, cause: error)
        }
        return network
    }

    /// Joins a network: every node its certificates enroll is trusted from now on.
    public func joinNetwork(_ network: NodeID) throws(NodeError) {
        do { try replica.join(network: network) } catch { throw NodeError(.network, error.message, cause: error) }
    }

    /// Signs a membership certificate for `node` in `network` (or the only network this node may
    /// enroll in, when nil): with the network key if this node holds it, else with this node's key if
    /// it is an enrolled admin of the network.
    public func enroll(
        _ node: NodeID, name: String, role: Role, in network: NodeID?, keys: SigningKeyPair,
        passphrase: () throws(CryptoError) -> String
    ) throws(NodeError) -> Certificate {
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw NodeError(.invalidName, "give the member a name of 1 to 64 bytes with --name")
        }
        let trust: TrustRegistry
        let joined: [NodeID]
        let held: [NodeID]
        do {
            trust = try replica.trust()
            joined = try replica.joinedNetworks()
            held = try replica.networkKeys().map(\.network)
        } catch {
            throw NodeError(.network, error.message, cause: error)
        }
        let adminOf = joined.filter { network in
            held.contains(network) || trust.grants(for: id).contains(.enrolled(network: network, role: .admin))
        }
        let chosen: NodeID
        if let network {
            guard adminOf.contains(network) else {
                throw NodeError(.network, "this node is not an admin of network \(network.short); an admin of it must enroll nodes")
            }
            chosen = network
        } else {
            guard adminOf.count == 1 else {
                throw NodeError(
                    .network,
                    adminOf.isEmpty
                        ? "this node is not an admin of any network; create one with 'waypost network create --name NAME'"
                        : "this node is an admin of several networks; say which with --network ID")
            }
            chosen = adminOf[0]
        }
        let issuer: SigningKeyPair
        if held.contains(chosen) {
            issuer = try KeyFile.open(KeyFile.networkKeyPath(chosen, in: home), passphrase: passphrase)
        } else {
            issuer = keys
        }
        // A certificate is signed as changes are: not by a restored node before it resumes.
        do { try replica.requireWritable() } catch { throw NodeError(.file, error.message, cause: error) }
        let certificate = Certificate.issue(
            network: chosen, node: node, role: role, name: name, issuedAt: SQLiteReplica.systemWallClock(), by: issuer)
        do { try replica.store([certificate]) } catch { throw NodeError(.network, error.message, cause: error) }
        return certificate
    }
}
