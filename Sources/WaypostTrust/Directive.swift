public import WaypostCore
public import WaypostCrypto

/// A signed admin act that spreads like a change: the revocation of a lost or seized node, or the
/// erasure of a record (`Protocol/trust.md` §7).
///
/// Bytes: `WPDIR` 0x01, kind (1), the kind's subject (a revocation: node (32) and last accepted
/// sequence (u64 BE); an erasure: collection (1) and record (10)), issuer (32), issued at (u64 BE
/// milliseconds), reason (varint length + UTF-8, 1 to 256 bytes), signature (64). The issuer signs
/// `"waypost/directive/v1" 00` followed by every byte before the signature.
///
/// That the signature verifies says only that the issuer made the directive; whether the issuer may
/// is the receiving node's question (``TrustRegistry/judge(_:)``).
public struct Directive: Sendable, Hashable {
    /// What the directive does.
    public enum Kind: Sendable, Hashable {
        /// No change of `node` after sequence `lastAccepted` is accepted any more, and the node is no
        /// longer trusted for handshakes or as the sender of a bundle.
        case revoke(node: NodeID, lastAccepted: UInt64)
        /// The record's values are to be erased from every replica (`Protocol/replica.md`).
        case erase(collection: RecordCollection, record: RecordID)

        /// The kind's code on the wire: 1 revoke, 2 erase.
        public var code: UInt8 {
            switch self {
            case .revoke: 1
            case .erase: 2
            }
        }
    }

    /// What it does.
    public let kind: Kind
    /// Who signed it.
    public let issuer: NodeID
    /// When it was issued, milliseconds since the Unix epoch on the issuer's clock (informational).
    public let issuedAt: UInt64
    /// Why, as the admin wrote it: 1 to ``maximumReasonBytes`` bytes of UTF-8.
    public let reason: String
    /// The issuer's Ed25519 signature.
    public let signature: [UInt8]

    private static let magic = Array("WPDIR".utf8) + [1]
    private static let domain = Array("waypost/directive/v1".utf8) + [0]

    /// The longest reason a directive carries, in UTF-8 bytes.
    public static let maximumReasonBytes = 256

    /// The latest issue time a directive can carry, in milliseconds: 2^63 - 1, so that SQLite's signed
    /// INTEGER holds it and orders it as its bytes do (`Protocol/trust.md` §7.1).
    public static let latestTime = UInt64(Int64.max)

    /// Makes and signs a directive.
    ///
    /// - Throws: ``TrustError`` `badDirective` if the reason is empty or longer than
    ///   ``maximumReasonBytes`` bytes.
    public static func issue(_ kind: Kind, reason: String, issuedAt: UInt64, by issuer: SigningKeyPair) throws(TrustError)
        -> Directive
    {
        guard !reason.isEmpty else {
            throw TrustError(.badDirective, "a directive needs a reason: say why, with --reason")
        }
        guard reason.utf8.count <= maximumReasonBytes else {
            throw TrustError(
                .badDirective,
                "the reason is \(reason.utf8.count) bytes; a directive's reason is at most \(maximumReasonBytes) bytes: shorten it")
        }
        let body = encodeBody(kind, issuer: issuer.publicKey, issuedAt: issuedAt, reason: reason)
        return Directive(
            kind: kind, issuer: issuer.publicKey, issuedAt: issuedAt, reason: reason, signature: issuer.sign(domain + body))
    }

    private init(kind: Kind, issuer: NodeID, issuedAt: UInt64, reason: String, signature: [UInt8]) {
        self.kind = kind
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.reason = reason
        self.signature = signature
    }

    /// The directive's bytes.
    public var bytes: [UInt8] { Directive.encodeBody(kind, issuer: issuer, issuedAt: issuedAt, reason: reason) + signature }

    /// The bytes the issuer signs: the domain, then every byte of the directive before the signature.
    public var signedBytes: [UInt8] { Directive.domain + Directive.encodeBody(kind, issuer: issuer, issuedAt: issuedAt, reason: reason) }

    /// The directive's id: BLAKE2b-256 of its bytes. A replica stores each directive once, by its id.
    public var id: [UInt8] { Blake2b.hash(bytes) }

    /// The node a revocation names, or nil for an erasure.
    public var revokedNode: NodeID? {
        if case .revoke(let node, _) = kind { return node }
        return nil
    }

    /// The order directives are judged in: by issue time, then by their bytes.
    public static func precedes(_ lhs: Directive, _ rhs: Directive) -> Bool {
        lhs.issuedAt != rhs.issuedAt ? lhs.issuedAt < rhs.issuedAt : lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Whether the signature is the issuer's over the directive.
    public var isSignedByIssuer: Bool { SignatureVerifier.isValid(signature, of: signedBytes, by: issuer) }

    /// Decodes a directive and checks its signature by its issuer.
    ///
    /// - Throws: ``TrustError`` `badDirective` if the bytes are not a version 1 directive, are cut
    ///   short or followed by more bytes, have an unknown kind or collection, a last accepted sequence or
    ///   an issue time past 2^63 - 1, an empty, overlong or non-UTF-8 reason, or a signature that is not
    ///   the issuer's.
    public init(decoding bytes: [UInt8]) throws(TrustError) {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readBytes(Directive.magic.count) == Directive.magic else {
                throw TrustError(.badDirective, "a directive has an unknown format or version (it does not start with WPDIR 01)")
            }
            let code = try reader.readByte()
            let kind: Kind
            switch code {
            case 1:
                let node = NodeID(bytes: try reader.readBytes(NodeID.byteCount))
                let lastAccepted = try reader.readUInt64()
                // A sequence number (0: none), stored as SQLite's signed INTEGER (bundle.md §2, "Numbers").
                guard lastAccepted <= Dot.maximumSequence else {
                    throw TrustError(
                        .badDirective,
                        "a revocation of node \(node.short) accepts its changes up to \(lastAccepted), past the largest "
                            + "sequence number (2^63 - 1); it is damaged or forged")
                }
                kind = .revoke(node: node, lastAccepted: lastAccepted)
            case 2:
                let collectionCode = try reader.readByte()
                guard let collection = RecordCollection(rawValue: collectionCode) else {
                    throw TrustError(.badDirective, "an erase directive names unknown collection \(collectionCode)")
                }
                kind = .erase(collection: collection, record: RecordID(bytes: try reader.readBytes(10))!)
            default:
                throw TrustError(.badDirective, "a directive has unknown kind \(code); this node knows 1 (revoke) and 2 (erase)")
            }
            let issuer = NodeID(bytes: try reader.readBytes(NodeID.byteCount))
            let issuedAt = try reader.readUInt64()
            guard issuedAt <= Directive.latestTime else {
                throw TrustError(
                    .badDirective, "a directive's issue time, \(issuedAt), is past 2^63 - 1 milliseconds; it is damaged or forged")
            }
            let reason = try reader.readString(limit: Directive.maximumReasonBytes)
            guard !reason.isEmpty else { throw TrustError(.badDirective, "a directive has an empty reason") }
            let signature = try reader.readBytes(64)
            guard reader.isAtEnd else { throw TrustError(.badDirective, "a directive has bytes after its signature") }
            self.init(kind: kind, issuer: issuer, issuedAt: issuedAt, reason: reason, signature: signature)
        } catch let error as TrustError {
            throw error
        } catch ByteReader.Failure.lengthTooLarge(let length) {
            throw TrustError(
                .badDirective, "a directive's reason claims \(length) bytes; at most \(Directive.maximumReasonBytes) are allowed")
        } catch ByteReader.Failure.invalidUTF8 {
            throw TrustError(.badDirective, "a directive's reason is not well-formed UTF-8")
        } catch {
            throw TrustError(.badDirective, "a directive is truncated or malformed")
        }
        guard isSignedByIssuer else {
            throw TrustError(.badDirective, "a directive claiming to be from \(issuer.short) is not signed by it; it is forged or damaged")
        }
    }

    private static func encodeBody(_ kind: Kind, issuer: NodeID, issuedAt: UInt64, reason: String) -> [UInt8] {
        var writer = ByteWriter(capacity: 160 + reason.utf8.count)
        writer.write(bytes: magic)
        writer.write(kind.code)
        switch kind {
        case .revoke(let node, let lastAccepted):
            writer.write(bytes: node.bytes)
            writer.write(bigEndian: lastAccepted)
        case .erase(let collection, let record):
            writer.write(collection.rawValue)
            writer.write(bytes: record.bytes)
        }
        writer.write(bytes: issuer.bytes)
        writer.write(bigEndian: issuedAt)
        writer.write(string: reason)
        return writer.bytes
    }
}
