public import WaypostCore
public import WaypostCrypto

/// A network's statement that a node is a member, with a name and a role, signed by the network's key
/// or by an admin member of the network (`Protocol/trust.md` §3).
///
/// Bytes: `WPCERT` 0x01, network (32), node (32), role (1), name (varint length + UTF-8, at most 64
/// bytes), issued at (u64 BE milliseconds), issuer (32), signature (64) over every byte before it.
public struct Certificate: Sendable, Hashable {
    /// The network's id: its Ed25519 public key.
    public let network: NodeID
    /// The member.
    public let node: NodeID
    /// What it may do.
    public let role: Role
    /// Its name, as the admin who enrolled it gave it.
    public let name: String
    /// When it was issued, milliseconds since the Unix epoch.
    public let issuedAt: UInt64
    /// Who signed it: the network key itself, or an admin member.
    public let issuer: NodeID
    /// The issuer's Ed25519 signature.
    public let signature: [UInt8]

    private static let magic = Array("WPCERT".utf8) + [1]

    /// The longest name a certificate carries, in UTF-8 bytes.
    public static let maximumNameBytes = 64

    /// Issues a certificate signed by `issuer` (the network's key pair, or an admin member's).
    ///
    /// A name longer than ``maximumNameBytes`` is cut at a character boundary.
    public static func issue(
        network: NodeID, node: NodeID, role: Role, name fullName: String, issuedAt: UInt64, by issuer: SigningKeyPair
    ) -> Certificate {
        var name = ""
        for character in fullName where name.utf8.count + String(character).utf8.count <= maximumNameBytes {
            name.append(character)
        }
        let body = encodeBody(network: network, node: node, role: role, name: name, issuedAt: issuedAt, issuer: issuer.publicKey)
        return Certificate(
            network: network, node: node, role: role, name: name, issuedAt: issuedAt, issuer: issuer.publicKey,
            signature: issuer.sign(body))
    }

    private init(network: NodeID, node: NodeID, role: Role, name: String, issuedAt: UInt64, issuer: NodeID, signature: [UInt8]) {
        self.network = network
        self.node = node
        self.role = role
        self.name = name
        self.issuedAt = issuedAt
        self.issuer = issuer
        self.signature = signature
    }

    /// The certificate's bytes.
    public var bytes: [UInt8] {
        Certificate.encodeBody(network: network, node: node, role: role, name: name, issuedAt: issuedAt, issuer: issuer)
            + signature
    }

    /// Whether the signature is the issuer's over the certificate (whether the issuer may issue it
    /// is the ``TrustRegistry``'s question).
    public var isSignedByIssuer: Bool {
        SignatureVerifier.isValid(
            signature,
            of: Certificate.encodeBody(network: network, node: node, role: role, name: name, issuedAt: issuedAt, issuer: issuer),
            by: issuer)
    }

    /// Decodes a certificate and checks its signature by its issuer.
    ///
    /// - Throws: ``TrustError`` `badCertificate` if malformed (its issue time past
    ///   ``Directive/latestTime`` included) or not signed by its issuer.
    public init(decoding bytes: [UInt8]) throws(TrustError) {
        try self.init(decodingStored: bytes)
        guard isSignedByIssuer else {
            throw TrustError(.badCertificate, "the certificate for node \(node.short) is not signed by its issuer \(issuer.short)")
        }
    }

    /// Decodes a certificate whose signature was checked when it was received, without checking it again:
    /// for the rows of a store that authenticates them (the replica tags its `certificates` table under
    /// its storage key). An Ed25519 verification costs about 50 µs; a trust decision reads every certificate.
    ///
    /// - Throws: ``TrustError`` `badCertificate` if malformed.
    package init(decodingStored bytes: [UInt8]) throws(TrustError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readBytes(Certificate.magic.count) == Certificate.magic else {
                throw TrustError(.badCertificate, "a certificate has an unknown format")
            }
            let network = NodeID(bytes: try reader.readBytes(32))
            let node = NodeID(bytes: try reader.readBytes(32))
            guard let role = Role(rawValue: try reader.readByte()) else {
                throw TrustError(.badCertificate, "a certificate has an unknown role")
            }
            let name = try reader.readString(limit: 64)
            let issuedAt = try reader.readUInt64()
            guard issuedAt <= Directive.latestTime else {
                throw TrustError(
                    .badCertificate,
                    "a certificate's issue time, \(issuedAt), is past 2^63 - 1 milliseconds; it is damaged or forged")
            }
            let issuer = NodeID(bytes: try reader.readBytes(32))
            let signature = try reader.readBytes(64)
            guard reader.isAtEnd else { throw TrustError(.badCertificate, "a certificate has trailing bytes") }
            self.init(network: network, node: node, role: role, name: name, issuedAt: issuedAt, issuer: issuer, signature: signature)
        } catch let error as TrustError {
            throw error
        } catch {
            throw TrustError(.badCertificate, "a certificate is truncated or malformed")
        }
    }

    private static func encodeBody(network: NodeID, node: NodeID, role: Role, name: String, issuedAt: UInt64, issuer: NodeID)
        -> [UInt8]
    {
        var writer = ByteWriter(capacity: 200)
        writer.write(bytes: magic)
        writer.write(bytes: network.bytes)
        writer.write(bytes: node.bytes)
        writer.write(role.rawValue)
        writer.write(string: name)
        writer.write(bigEndian: issuedAt)
        writer.write(bytes: issuer.bytes)
        return writer.bytes
    }
}
