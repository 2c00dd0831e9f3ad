import Testing
import WaypostCore
import WaypostCrypto
import WaypostTrust

/// Which received certificates a node keeps (issue 15 §2, certificate flood): only those that can count
/// here, and this node's own, within limits.
@Suite struct CertificateAdmissionTests {
    let local = SigningKeyPair.fixed(1)
    let network = SigningKeyPair.fixed(2)
    let admin = SigningKeyPair.fixed(3)
    let field = SigningKeyPair.fixed(4)

    func certificate(_ node: NodeID, role: Role = .field, network: NodeID? = nil, by issuer: SigningKeyPair, at time: UInt64 = 1)
        -> Certificate
    {
        Certificate.issue(network: network ?? self.network.publicKey, node: node, role: role, name: "n", issuedAt: time, by: issuer)
    }

    @Test("a flood of self-signed certificates for networks nobody joined is refused whole")
    func aFloodIsRefused() throws {
        let flood = (0..<2_000).map { index -> Certificate in
            let signer = SigningKeyPair.fixed(UInt64(1_000 + index))
            return certificate(signer.publicKey, role: .admin, network: signer.publicKey, by: signer, at: UInt64(index))
        }
        let decision = CertificateAdmission.decide(flood, held: [], local: local.publicKey, joinedNetworks: [network.publicKey])
        #expect(decision.kept.isEmpty && decision.refused == flood.count)
    }

    @Test("in a joined network, what the network key and its admins issue is kept; what a field member issues is not")
    func onlyIssuersThatMayIssueCount() throws {
        let adminCertificate = certificate(admin.publicKey, role: .admin, by: network)
        let byAdmin = certificate(SigningKeyPair.fixed(10).publicKey, by: admin)
        let fieldCertificate = certificate(field.publicKey, by: network)
        let byField = certificate(SigningKeyPair.fixed(11).publicKey, role: .admin, by: field)
        // The admin's own certificate arrives after the one it issued: both count.
        let decision = CertificateAdmission.decide(
            [byAdmin, byField, fieldCertificate, adminCertificate], held: [], local: local.publicKey,
            joinedNetworks: [network.publicKey])
        #expect(Set(decision.kept) == [byAdmin, fieldCertificate, adminCertificate])
        #expect(decision.refused == 1)
        // The same, held already: nothing new, nothing refused.
        let again = CertificateAdmission.decide(
            [byAdmin, adminCertificate], held: decision.kept, local: local.publicKey, joinedNetworks: [network.publicKey])
        #expect(again.kept.isEmpty && again.refused == 0)
        // Not joined: none of them counts.
        let elsewhere = CertificateAdmission.decide(
            [adminCertificate, byAdmin], held: [], local: local.publicKey, joinedNetworks: [])
        #expect(elsewhere.kept.isEmpty && elsewhere.refused == 2)
    }

    @Test("this node's own certificates are kept even where they do not count, up to a limit; each network up to its own")
    func limits() throws {
        let limits = CertificateAdmission.Limits(perNetwork: 5, ownUncounted: 3)
        let own = (0..<10).map { index in certificate(local.publicKey, network: SigningKeyPair.fixed(UInt64(50 + index)).publicKey, by: field) }
        let ownDecision = CertificateAdmission.decide(own, held: [], local: local.publicKey, joinedNetworks: [], limits: limits)
        #expect(ownDecision.kept == Array(own.prefix(3)) && ownDecision.refused == 7)
        let members = (0..<8).map { index in certificate(SigningKeyPair.fixed(UInt64(100 + index)).publicKey, by: network, at: UInt64(index)) }
        let first = CertificateAdmission.decide(
            Array(members.prefix(3)), held: [], local: local.publicKey, joinedNetworks: [network.publicKey], limits: limits)
        #expect(first.kept.count == 3)
        let second = CertificateAdmission.decide(
            members, held: first.kept, local: local.publicKey, joinedNetworks: [network.publicKey], limits: limits)
        #expect(second.kept.count == 2 && second.refused == 3)
    }
}

extension SigningKeyPair {
    /// A key pair made from a number, the same in every run.
    static func fixed(_ number: UInt64) -> SigningKeyPair {
        var seed = [UInt8](repeating: 0x5a, count: 32)
        withUnsafeBytes(of: number.bigEndian) { seed.replaceSubrange(24..<32, with: $0) }
        return try! SigningKeyPair(seed: seed)
    }
}
