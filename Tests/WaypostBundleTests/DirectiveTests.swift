import Testing
import WaypostCore
import WaypostCrypto
import WaypostTesting
import WaypostTrust

/// Admin directives (`Protocol/trust.md` §7): the vector in `Protocol/vectors/directive.txt` rebuilt with
/// `WaypostTrust` and by hand, every malformed input refused, and who may issue them.
@Suite struct DirectiveTests {
    static func values() throws -> [String: String] { try ProtocolFiles.values("directive.txt") }

    static func text(_ values: [String: String], _ name: String) throws -> String {
        try #require(values[name], "no \(name) in the vector")
    }

    static func bytes(_ values: [String: String], _ name: String) throws -> [UInt8] {
        try ProtocolFiles.hexBytes(try text(values, name))
    }

    static func number(_ values: [String: String], _ name: String) throws -> UInt64 {
        try #require(UInt64(try text(values, name)), "\(name) is not a number")
    }

    /// The vector's two directives, issued from its inputs.
    static func issued() throws -> (revoke: Directive, erase: Directive, admin: SigningKeyPair, node: NodeID) {
        let values = try values()
        let admin = try SigningKeyPair(seed: try bytes(values, "admin-seed"))
        let node = try SigningKeyPair(seed: try bytes(values, "node-seed")).publicKey
        let revoke = try Directive.issue(
            .revoke(node: node, lastAccepted: try number(values, "revoke-last-accepted")),
            reason: try text(values, "revoke-reason"), issuedAt: try number(values, "revoke-issued-at"), by: admin)
        let collection = try #require(RecordCollection(rawValue: UInt8(try number(values, "erase-collection"))))
        let erase = try Directive.issue(
            .erase(collection: collection, record: try RecordID(parsing: try text(values, "erase-record"))),
            reason: try text(values, "erase-reason"), issuedAt: try number(values, "erase-issued-at"), by: admin)
        return (revoke, erase, admin, node)
    }

    // MARK: The vector

    @Test func theVectorIsWhatDirectiveIssues() throws {
        let values = try Self.values()
        let (revoke, erase, admin, node) = try Self.issued()
        #expect(admin.publicKey.bytes == (try Self.bytes(values, "admin")))
        #expect(node.bytes == (try Self.bytes(values, "node")))
        for (name, directive) in [("revoke", revoke), ("erase", erase)] {
            #expect(directive.bytes == (try Self.bytes(values, "\(name)-directive")), "\(name)")
            #expect(directive.signedBytes == (try Self.bytes(values, "\(name)-signed")), "\(name)")
            #expect(directive.signature == (try Self.bytes(values, "\(name)-signature")), "\(name)")
            #expect(directive.id == (try Self.bytes(values, "\(name)-id")), "\(name)")
            #expect(directive.kind.code == UInt8(try Self.number(values, "\(name)-kind")))
            #expect(directive.isSignedByIssuer)
            let decoded = try Directive(decoding: directive.bytes)
            #expect(decoded == directive)
        }
        #expect(revoke.revokedNode == node && erase.revokedNode == nil)
    }

    @Test func theVectorFollowsTheSpecByHand() throws {
        let values = try Self.values()
        let admin = try Self.bytes(values, "admin"), node = try Self.bytes(values, "node")
        let domain = Array("waypost/directive/v1".utf8) + [0]
        #expect(domain == (try Self.bytes(values, "domain")) && domain.count == 21)
        // trust.md §7.1, field by field.
        var revoke = ByteWriter()
        revoke.write(bytes: [0x57, 0x50, 0x44, 0x49, 0x52, 0x01])  // "WPDIR" 01
        revoke.write(1)
        revoke.write(bytes: node)
        revoke.write(bigEndian: UInt64(3))
        revoke.write(bytes: admin)
        revoke.write(bigEndian: UInt64(1_796_000_000_000))
        revoke.write(lengthPrefixed: Array("laptop seized at the border".utf8))
        #expect(domain + revoke.bytes == (try Self.bytes(values, "revoke-signed")))
        let signature = try Self.bytes(values, "revoke-signature")
        #expect(revoke.bytes + signature == (try Self.bytes(values, "revoke-directive")))
        #expect(SignatureVerifier.isValid(signature, of: domain + revoke.bytes, by: NodeID(bytes: admin)))
        // Without the domain, the same signature does not verify: the domain is signed.
        #expect(!SignatureVerifier.isValid(signature, of: revoke.bytes, by: NodeID(bytes: admin)))
        #expect(Blake2b.hash(revoke.bytes + signature) == (try Self.bytes(values, "revoke-id")))

        var erase = ByteWriter()
        erase.write(bytes: Array("WPDIR".utf8) + [1])
        erase.write(2)
        erase.write(1)
        erase.write(bytes: [0x57, 0xcb, 0xb6, 0x6a, 0x1c, 0xbf, 0x05, 0xa0, 0x07, 0xa3])
        erase.write(bytes: admin)
        erase.write(bigEndian: UInt64(1_796_000_060_000))
        erase.write(lengthPrefixed: Array("data-protection request 2026-114".utf8))
        #expect(domain + erase.bytes == (try Self.bytes(values, "erase-signed")))
        #expect(erase.bytes + (try Self.bytes(values, "erase-signature")) == (try Self.bytes(values, "erase-directive")))
    }

    // MARK: Refusals

    @Test func everyChangedByteAndEveryTruncationIsRefused() throws {
        let values = try Self.values()
        for name in ["revoke", "erase"] {
            let bytes = try Self.bytes(values, "\(name)-directive")
            for position in bytes.indices {
                for mask: UInt8 in [0x01, 0x80] {
                    var changed = bytes
                    changed[position] ^= mask
                    let error = #expect(throws: TrustError.self, "\(name) byte \(position)") {
                        try Directive(decoding: changed)
                    }
                    #expect(error?.code == .badDirective)
                }
            }
            for length in 0..<bytes.count {
                let error = #expect(throws: TrustError.self, "\(name) cut to \(length)") {
                    try Directive(decoding: Array(bytes[0..<length]))
                }
                #expect(error?.code == .badDirective)
            }
            let error = #expect(throws: TrustError.self) { try Directive(decoding: bytes + [0]) }
            #expect(error?.message.contains("after its signature") == true)
        }
    }

    /// A directive's bytes with its fields as given, signed properly, so that only the field is wrong.
    static func forged(kind: UInt8 = 1, subject: [UInt8]? = nil, reason: [UInt8], reasonLength: UInt64? = nil, by keys: SigningKeyPair)
        -> [UInt8]
    {
        var body = ByteWriter()
        body.write(bytes: Array("WPDIR".utf8) + [1])
        body.write(kind)
        body.write(bytes: subject ?? (BundleSamples.other.bytes + [0, 0, 0, 0, 0, 0, 0, 3]))
        body.write(bytes: keys.publicKey.bytes)
        body.write(bigEndian: UInt64(1))
        body.write(varint: reasonLength ?? UInt64(reason.count))
        body.write(bytes: reason)
        return body.bytes + keys.sign(Array("waypost/directive/v1".utf8) + [0] + body.bytes)
    }

    @Test func eachMalformedFieldIsRefusedWithItsOwnMessage() throws {
        let keys = BundleSamples.senderKeys
        func message(_ bytes: [UInt8]) -> String? {
            do {
                _ = try Directive(decoding: bytes)
                return nil
            } catch {
                #expect(error.code == .badDirective)
                return error.message
            }
        }
        // The well-formed reference decodes.
        #expect(message(Self.forged(reason: Array("ok".utf8), by: keys)) == nil)
        #expect(message(Self.forged(reason: Array(repeating: 0x61, count: 256), by: keys)) == nil)
        // Magic and version.
        var badVersion = Self.forged(reason: Array("ok".utf8), by: keys)
        badVersion[5] = 2
        #expect(message(badVersion)?.contains("WPDIR 01") == true)
        // Kinds 0 and 3.
        #expect(message(Self.forged(kind: 0, reason: Array("ok".utf8), by: keys))?.contains("unknown kind 0") == true)
        #expect(message(Self.forged(kind: 3, reason: Array("ok".utf8), by: keys))?.contains("unknown kind 3") == true)
        // An erasure of an unknown collection.
        let subject = [UInt8(3)] + Array(repeating: 0, count: 10)
        #expect(message(Self.forged(kind: 2, subject: subject, reason: Array("ok".utf8), by: keys))?.contains("collection 3") == true)
        // Reasons: empty, 257 bytes, not UTF-8 (a lone continuation byte, an overlong slash, a surrogate).
        #expect(message(Self.forged(reason: [], by: keys))?.contains("empty reason") == true)
        #expect(message(Self.forged(reason: Array(repeating: 0x61, count: 257), by: keys))?.contains("257") == true)
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            #expect(message(Self.forged(reason: bad, by: keys))?.contains("UTF-8") == true, "\(bad)")
        }
        // A reason length running past the end.
        #expect(message(Self.forged(reason: Array("ok".utf8), reasonLength: 200, by: keys))?.contains("truncated") == true)
        // Signed by someone else than the issuer it names.
        var other = Self.forged(reason: Array("ok".utf8), by: keys)
        other.replaceSubrange((other.count - 64)..., with: BundleSamples.otherKeys.sign([1, 2, 3]))
        #expect(message(other)?.contains("not signed by it") == true)
    }

    @Test func issuingRefusesAnEmptyOrOverlongReasonAndKeepsUnicode() throws {
        let keys = BundleSamples.senderKeys
        let kind = Directive.Kind.revoke(node: BundleSamples.other, lastAccepted: 0)
        #expect(throws: TrustError.self) { try Directive.issue(kind, reason: "", issuedAt: 0, by: keys) }
        let error = #expect(throws: TrustError.self) {
            try Directive.issue(kind, reason: String(repeating: "é", count: 129), issuedAt: 0, by: keys)
        }
        #expect(error?.message.contains("258 bytes") == true)
        let longest = try Directive.issue(
            kind, reason: String(repeating: "é", count: 128), issuedAt: Directive.latestTime, by: keys)
        #expect(try Directive(decoding: longest.bytes) == longest)
        let unicode = try Directive.issue(kind, reason: "saisi à la frontière 日本", issuedAt: 7, by: keys)
        #expect(try Directive(decoding: unicode.bytes).reason == "saisi à la frontière 日本")
    }

    // MARK: Who may issue (trust.md §7.3)

    @Test func onlyAdminsDirectivesAreAcceptedAndARevocationTakesAwayTrust() throws {
        let local = try SigningKeyPair(seed: BundleSamples.seed(0xC0))
        let network = BundleSamples.networkKeys
        let admin = BundleSamples.otherKeys  // enrolled admin
        let field = BundleSamples.senderKeys  // enrolled field node
        let pairwiseAdmin = try SigningKeyPair(seed: BundleSamples.seed(0xA0))
        let stranger = try SigningKeyPair(seed: BundleSamples.seed(0xE0))
        let lost = BundleSamples.recipient  // a field node that will be revoked
        let certificates = [
            Certificate.issue(network: network.publicKey, node: admin.publicKey, role: .admin, name: "a", issuedAt: 1, by: network),
            Certificate.issue(network: network.publicKey, node: field.publicKey, role: .field, name: "f", issuedAt: 1, by: network),
            Certificate.issue(network: network.publicKey, node: lost, role: .field, name: "l", issuedAt: 1, by: network),
        ]
        var trust = TrustRegistry(
            local: local.publicKey, pairwise: [pairwiseAdmin.publicKey: .admin], joinedNetworks: [network.publicKey],
            certificates: certificates)
        func revocation(of node: NodeID, after last: UInt64, by keys: SigningKeyPair, at time: UInt64 = 10) throws -> Directive {
            try Directive.issue(.revoke(node: node, lastAccepted: last), reason: "lost", issuedAt: time, by: keys)
        }
        let erase = Directive.Kind.erase(collection: .caseFile, record: BundleSamples.record)

        // Accepted: this node's own, an enrolled admin's, a pairwise admin's; of either kind.
        #expect(trust.judge(try revocation(of: lost, after: 2, by: local)) == .accepted)
        #expect(trust.judge(try revocation(of: lost, after: 2, by: admin)) == .accepted)
        #expect(trust.judge(try revocation(of: lost, after: 2, by: pairwiseAdmin)) == .accepted)
        #expect(trust.judge(try Directive.issue(erase, reason: "request", issuedAt: 1, by: admin)) == .accepted)
        // Refused: a field node's, a stranger's, the network key's own (it is not a node anyone trusts).
        #expect(trust.judge(try revocation(of: lost, after: 2, by: field)) == .refused("its issuer \(field.publicKey.short) is not an admin here"))
        #expect(trust.judge(try revocation(of: lost, after: 2, by: stranger)) == .refused("its issuer \(stranger.publicKey.short) is not trusted here"))
        #expect(trust.judge(try Directive.issue(erase, reason: "request", issuedAt: 1, by: field)) != .accepted)
        // A revocation of this node itself: kept and passed on, no effect here.
        let ofLocal = try revocation(of: local.publicKey, after: 0, by: admin)
        #expect(trust.judge(ofLocal) == .storedWithoutEffect)
        trust.record(ofLocal)
        #expect(trust.trusts(local.publicKey) && trust.revokedNodes.isEmpty)

        // Revoked: no longer trusted, no role, its grants still listed, its last accepted change known.
        #expect(trust.trusts(lost) && trust.trustedNodes.contains(lost))
        trust.record(try revocation(of: lost, after: 5, by: admin, at: 10))
        #expect(!trust.trusts(lost) && trust.role(of: lost) == nil && trust.isGranted(lost))
        #expect(!trust.trustedNodes.contains(lost) && trust.grantedNodes.contains(lost))
        #expect(trust.lastAccepted(of: lost) == 5 && trust.revokedNodes == [lost])
        // A second revocation: the lower last accepted wins; both are listed, oldest first.
        trust.record(try revocation(of: lost, after: 3, by: pairwiseAdmin, at: 20))
        trust.record(try revocation(of: lost, after: 3, by: pairwiseAdmin, at: 20))  // the same again: no change
        #expect(trust.lastAccepted(of: lost) == 3)
        #expect(trust.revocations(of: lost).map(\.issuer) == [admin.publicKey, pairwiseAdmin.publicKey])

        // A revoked admin's later directives are refused; a node never revoked has no last accepted.
        trust.record(try revocation(of: admin.publicKey, after: 0, by: local))
        #expect(trust.judge(try revocation(of: field.publicKey, after: 0, by: admin)) == .refused("its issuer \(admin.publicKey.short) is revoked"))
        #expect(trust.lastAccepted(of: field.publicKey) == nil && trust.trusts(field.publicKey))

        // Built from stored revocations, the registry says the same.
        let rebuilt = TrustRegistry(
            local: local.publicKey, pairwise: [pairwiseAdmin.publicKey: .admin], joinedNetworks: [network.publicKey],
            certificates: certificates, revocations: trust.revokedNodes.flatMap { trust.revocations(of: $0) } + [ofLocal])
        #expect(rebuilt.revokedNodes == trust.revokedNodes && rebuilt.lastAccepted(of: lost) == 3)
        #expect(rebuilt.trusts(local.publicKey))
    }
}
