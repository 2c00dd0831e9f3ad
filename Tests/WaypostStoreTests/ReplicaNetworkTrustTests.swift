import Foundation
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// Trust through networks, with the store's API alone: a node is trusted when a network this replica
/// has joined enrolled it, with a certificate signed by the network's key or by an admin member the
/// network's key (or another such admin) enrolled; not by a field member, not for a network not
/// joined, and never from a certificate whose bytes were altered.
@Suite struct ReplicaNetworkTrustTests {
    let network = StoreFixtures.keys(41)
    let admin = StoreFixtures.keys(42)
    let field = StoreFixtures.keys(43)
    let member = StoreFixtures.keys(44)
    let otherNetwork = StoreFixtures.keys(45)
    let issuedAt = StoreFixtures.baseMilliseconds

    /// A certificate for `node`, signed by `issuer`.
    func certificate(
        _ node: SigningKeyPair, _ role: Role, name: String, by issuer: SigningKeyPair, in network: SigningKeyPair? = nil
    ) -> Certificate {
        Certificate.issue(
            network: (network ?? self.network).publicKey, node: node.publicKey, role: role, name: name,
            issuedAt: issuedAt,
            by: issuer)
    }

    /// The member's replica, with one case file written, and what it offers.
    func memberChanges(in directory: URL) throws -> ChangeBatch {
        let replica = try StoreFixtures.replica(in: directory, "member", keys: member)
        _ = try replica.create(
            .caseFile, edits: StoreFixtures.edits("given_name=Amina", "languages+=ar"), signer: member)
        return try replica.changes(after: VersionVector())
    }

    /// A replica that has joined the network and trusts no one pairwise.
    func receiver(in directory: URL, _ name: String = "receiver") throws -> SQLiteReplica {
        let replica = try StoreFixtures.replica(in: directory, name, keys: StoreFixtures.keys(46))
        try replica.join(network: network.publicKey)
        #expect(try replica.joinedNetworks() == [network.publicKey])
        return replica
    }

    @Test func aNodeEnrolledByAJoinedNetworksKeyIsTrusted() throws {
        try withTemporaryDirectory { directory in
            let batch = try memberChanges(in: directory)
            let replica = try receiver(in: directory)
            let enrolled = certificate(member, .field, name: "clinic-north", by: network)
            #expect(!(try replica.trust().trusts(member.publicKey)))
            try expectRefusal(.untrusted, applying: batch, to: replica, from: member.publicKey)

            try replica.store([enrolled])
            #expect(try replica.certificates() == [enrolled])
            let trust = try replica.trust()
            #expect(trust.grants(for: member.publicKey) == [.enrolled(network: network.publicKey, role: .field)])
            #expect(trust.role(of: member.publicKey) == .field)
            #expect(try replica.apply(batch, from: member.publicKey).applied == 3)

            // The same certificate given with the changes, as a bundle brings it, works as well.
            let second = try receiver(in: directory, "second")
            #expect(try second.apply(batch, certificates: [enrolled], from: member.publicKey).applied == 3)
            #expect(try second.certificates() == [enrolled])
            #expect(try second.canonicalExport() == replica.canonicalExport())
        }
    }

    @Test func aNodeEnrolledByAnAdminMemberIsTrusted() throws {
        try withTemporaryDirectory { directory in
            let batch = try memberChanges(in: directory)
            let replica = try receiver(in: directory)
            let adminCertificate = certificate(admin, .admin, name: "hq", by: network)
            let enrolled = certificate(member, .field, name: "clinic-north", by: admin)

            // Without the admin's own certificate, the admin's signature is nobody's: refused, and the
            // certificate given is not kept either.
            try expectRefusal(
                .untrusted, applying: batch, to: replica, certificates: [enrolled], from: member.publicKey)
            #expect(try replica.certificates().isEmpty)

            // With it (in any order), the member is trusted; the admin as an admin.
            let report = try replica.apply(batch, certificates: [enrolled, adminCertificate], from: member.publicKey)
            #expect(report.applied == 3)
            let trust = try replica.trust()
            #expect(trust.grants(for: member.publicKey) == [.enrolled(network: network.publicKey, role: .field)])
            #expect(trust.role(of: admin.publicKey) == .admin)
            #expect(Set(try replica.certificates()) == [enrolled, adminCertificate])

            // An admin enrolled by that admin may enroll in turn.
            let deputy = StoreFixtures.keys(47)
            try replica.store([
                certificate(deputy, .admin, name: "deputy", by: admin),
                certificate(field, .field, name: "post", by: deputy),
            ])
            #expect(try replica.trust().role(of: field.publicKey) == .field)
        }
    }

    @Test func aNodeEnrolledByAFieldMemberIsNotTrusted() throws {
        try withTemporaryDirectory { directory in
            let batch = try memberChanges(in: directory)
            let replica = try receiver(in: directory)
            let fieldCertificate = certificate(field, .field, name: "post", by: network)
            let enrolledByField = certificate(member, .field, name: "clinic-north", by: field)
            // Nor does a field member make itself an admin.
            let selfPromoted = certificate(field, .admin, name: "post", by: field)

            try replica.store([fieldCertificate, enrolledByField, selfPromoted])
            let trust = try replica.trust()
            #expect(trust.grants(for: field.publicKey) == [.enrolled(network: network.publicKey, role: .field)])
            #expect(trust.role(of: field.publicKey) == .field)
            #expect(!trust.trusts(member.publicKey))
            #expect(trust.trustedNodes == [field.publicKey])

            let before = try ReplicaSnapshot(replica)
            let skipped = try replica.apply(batch, from: field.publicKey)
            #expect(skipped.applied == 0 && skipped.untrustedOrigins[member.publicKey] == batch.changes.count)
            #expect(try ReplicaSnapshot(replica) == before)
        }
    }

    @Test func aCertificateForANetworkNotJoinedGrantsNothing() throws {
        try withTemporaryDirectory { directory in
            let batch = try memberChanges(in: directory)
            let replica = try receiver(in: directory)
            let elsewhere = certificate(member, .admin, name: "clinic-north", by: otherNetwork, in: otherNetwork)
            // Signed by this network's key, but for the other network: it enrolls there, not here.
            let crossed = certificate(member, .field, name: "clinic-north", by: network, in: otherNetwork)

            try expectRefusal(
                .untrusted, applying: batch, to: replica, certificates: [elsewhere, crossed], from: member.publicKey)
            try replica.store([elsewhere, crossed])
            #expect(!(try replica.trust().trusts(member.publicKey)))
            // Certificates that cannot count here are not kept (`Protocol/trust.md` §4.1).
            #expect(try replica.certificates().isEmpty)
            try expectRefusal(.untrusted, applying: batch, to: replica, from: member.publicKey)

            // Joining that network is what makes its certificate count, once it comes again.
            try replica.join(network: otherNetwork.publicKey)
            #expect(!(try replica.trust().trusts(member.publicKey)))
            try replica.store([elsewhere, crossed])
            #expect(try replica.certificates() == [elsewhere])
            #expect(
                try replica.trust().grants(for: member.publicKey) == [
                    .enrolled(network: otherNetwork.publicKey, role: .admin)
                ])
            #expect(try replica.apply(batch, from: member.publicKey).applied == 3)
        }
    }

    /// A certificate decodes only as its issuer signed it: one bit changed anywhere, a byte cut or
    /// added, a raised role or another issuer named, and it is refused with `badCertificate`.
    @Test func aCertificateWhoseBytesWereAlteredIsRefusedWhenDecoded() throws {
        let original = certificate(member, .field, name: "clinic-north", by: field)
        let bytes = original.bytes
        #expect(try Certificate(decoding: bytes) == original)

        var refused = 0
        for index in bytes.indices {
            for bit in [0, 7] {
                var altered = bytes
                altered[index] ^= UInt8(1 << bit)
                let error = #expect(throws: TrustError.self, "byte \(index) bit \(bit)") {
                    try Certificate(decoding: altered)
                }
                #expect(error?.code == .badCertificate)
                if error != nil { refused += 1 }
            }
        }
        #expect(refused == bytes.count * 2)

        // Role, at its offset after the magic, the network and the node: field raised to admin.
        let roleOffset = 7 + 32 + 32
        #expect(bytes[roleOffset] == Role.field.rawValue)
        var raised = bytes
        raised[roleOffset] = Role.admin.rawValue
        // The issuer, just before the signature: the network's key named in place of the field member's.
        var reissued = bytes
        reissued.replaceSubrange((bytes.count - 96)..<(bytes.count - 64), with: network.publicKey.bytes)
        for altered in [raised, reissued, Array(bytes.dropLast()), bytes + [0], Array(bytes.prefix(40)), []] {
            let error = #expect(throws: TrustError.self) { try Certificate(decoding: altered) }
            #expect(error?.code == .badCertificate)
        }
    }
}

/// A certificate flood from an enrolled node (issue 15 §2): nothing of it is stored, so trust decisions
/// and first batches stay small.
@Suite struct CertificateFloodTests {
    @Test("thousands of self-signed certificates in one batch are refused and none is stored")
    func aCertificateFloodIsNotStored() throws {
        try withTemporaryDirectory { directory in
            let me = StoreFixtures.keys(81), sender = StoreFixtures.keys(82)
            let replica = try StoreFixtures.replica(in: directory, keys: me, trusting: [sender.publicKey])
            let flood = (0..<3_000).map { index -> Certificate in
                let signer = StoreFixtures.keys(UInt64(10_000 + index))
                return Certificate.issue(
                    network: signer.publicKey, node: signer.publicKey, role: .admin, name: "flood", issuedAt: UInt64(index),
                    by: signer)
            }
            let report = try replica.apply(ChangeBatch(changes: []), certificates: flood, from: sender.publicKey)
            #expect(report.certificatesRefused == flood.count)
            #expect(try replica.certificates().isEmpty)
            #expect(try replica.trust().trustedNodes == [sender.publicKey])
            #expect(!(try replica.trust().trusts(flood[0].node)))
        }
    }
}
