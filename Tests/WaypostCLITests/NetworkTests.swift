import Foundation
import Testing
import WaypostCore
// For ``NetworkTests/plantCertificate(for:name:role:network:signedBy:in:)`` only: what the CLI
// cannot do (the waypost target brings these modules in).
import WaypostCrypto
import WaypostStore
import WaypostTrust

/// Nodes trust the members of the networks they join: an admin enrolls nodes, and the certificates
/// travel inside bundles, so a post trusts a clinic it never added as a peer.
@Suite struct NetworkTests {
    /// An admin that created a network and enrolled a clinic (field), a post that joined the network,
    /// and the bundles between them, built once (13 launches).
    struct Network: Sendable {
        /// The network's id.
        let network: String
        let adminID: String
        let clinicID: String
        /// The post: joined the network, imported nothing, trusts no node pairwise.
        let post: NodeImage
        /// The clinic: has the post as a pairwise peer (to address bundles to it); joined nothing.
        let clinic: NodeImage
        /// The clinic's bundle for the post: one case, written before the admin enrolled the clinic.
        let clinicToPost: [UInt8]
        /// The admin's bundle for the post: no changes, the certificates the admin holds.
        let adminToPost: [UInt8]
        /// The admin's network key file (under the test passphrase).
        let networkKey: [UInt8]
        /// What `network list --json` printed on the admin.
        let adminNetworks: Data

        static let shared = Result { try Network() }

        private init() throws {
            let sandbox = try Sandbox()
            let admin = try sandbox.node("admin")
            let post = try sandbox.node("post")
            let clinic = try sandbox.node("clinic")
            let created = try admin.succeed(["network", "create", "--name", "north-corridor"])
            network = try #require(
                created.split(separator: "\n").first { $0.hasPrefix("network id: ") }.map { String($0.dropFirst(12)) },
                "\(created)")
            try post.succeed(["network", "join", network])
            try clinic.trust(post)
            try admin.trust(post)
            try clinic.succeed(["case", "add", "given_name=Hawa", "family_name=Diallo"])
            clinicToPost = Array(try Data(contentsOf: URL(fileURLWithPath: clinic.export(to: post))))
            let enrolled = try admin.succeed(["network", "enroll", clinic.nodeID, "--name", "clinic-7"])
            try #require(enrolled.contains("clinic-7") && enrolled.contains("(field)"), "\(enrolled)")
            adminToPost = Array(try Data(contentsOf: URL(fileURLWithPath: admin.export(to: post))))
            adminNetworks = try admin.json(["network", "list"]).stdoutData
            let keyName = network.filter { $0 != "-" } + ".key"
            networkKey = Array(try Data(contentsOf: URL(fileURLWithPath: admin.home + "/networks/" + keyName)))
            (adminID, clinicID) = (admin.nodeID, clinic.nodeID)
            (self.post, self.clinic) = (try post.image(), try clinic.image())
        }
    }

    @Test("a post that joined the network trusts the clinic the admin enrolled, through the admin's bundle")
    func anEnrolledClinicIsTrustedThroughTheAdminsBundle() throws {
        let net = try Network.shared.get()
        let sandbox = try Sandbox()
        let post = try sandbox.restore(net.post)
        let fromClinic = try sandbox.write(net.clinicToPost, "from-clinic.wpb")
        let fromAdmin = try sandbox.write(net.adminToPost, "from-admin.wpb")

        // Before the post holds the clinic's certificate, the clinic is a stranger to it.
        let before = try post.snapshot()
        expectFailure(
            try post.run(["bundle", "import", fromClinic]), exitCode: 5, mentioning: [net.clinicID, "does not trust"])
        #expect(try post.snapshot() == before)

        // The admin's bundle holds no changes, only certificates; the post trusts the admin through its
        // own certificate (signed by the network key), not as a peer.
        let fromAdminReport = try post.importBundle(fromAdmin)
        #expect(fromAdminReport["sender"] as? String == net.adminID)
        #expect(fromAdminReport["changes"] as? Int == 0)
        let report = try post.importBundle(fromClinic)
        #expect(report["sender"] as? String == net.clinicID)
        #expect((report["applied"] as? Int ?? 0) > 0 && report["applied"] as? Int == report["changes"] as? Int)
        let cases = try post.json(["case", "list"]).jsonArray()
        #expect(((cases.first as? [String: Any])?["fields"] as? [String: Any])?["given_name"] as? String == "Hawa")

        let trusted = try post.json(["peer", "list"]).jsonArray().compactMap { $0 as? [String: Any] }
        let byNode = Dictionary(
            uniqueKeysWithValues: trusted.compactMap { entry in (entry["node"] as? String).map { ($0, entry) } })
        #expect(Set(byNode.keys) == [net.adminID, net.clinicID], "\(trusted)")
        let clinic = try #require(byNode[net.clinicID])
        // Enrolled only: no pairwise peer record, so no role, seen or times of its own; not revoked.
        #expect(Set(clinic.keys) == ["name", "node", "trust", "revoked"], "\(clinic)")
        #expect(clinic["revoked"] is NSNull)
        #expect(clinic["name"] as? String == "clinic-7")
        let grants = try #require(clinic["trust"] as? [[String: String]])
        #expect(grants == [["kind": "enrolled", "network": net.network, "role": "field"]])
        let admin = try #require(byNode[net.adminID])
        #expect(
            admin["trust"] as? [[String: String]] == [["kind": "enrolled", "network": net.network, "role": "admin"]])
        let text = try post.succeed(["peer", "list"])
        #expect(
            text.contains("clinic-7") && text.contains("enrolled in network \(shortID(net.network)) (field)"), "\(text)"
        )

        // network list on a member: the network's members, and no key.
        let networks = try post.json(["network", "list"]).jsonArray()
        try #require(networks.count == 1)
        let joined = try #require(networks[0] as? [String: Any])
        #expect(Set(joined.keys) == ["network", "name", "holds_key", "members"])
        #expect(joined["network"] as? String == net.network)
        #expect(joined["holds_key"] as? Bool == false)
        #expect(joined["name"] is NSNull)
        let members = try #require(joined["members"] as? [[String: String]])
        #expect(Set(members.map { $0["node"] ?? "" }) == [net.adminID, net.clinicID], "\(members)")
        #expect(
            members.first { $0["node"] == net.clinicID } == ["node": net.clinicID, "role": "field", "name": "clinic-7"])
    }

    @Test("network list --json on the admin: the network's name, its key, its members and their roles")
    func networkListJSON() throws {
        let net = try Network.shared.get()
        let networks = try #require(try JSONSerialization.jsonObject(with: net.adminNetworks) as? [Any])
        try #require(networks.count == 1, "\(networks)")
        let network = try #require(networks[0] as? [String: Any])
        #expect(Set(network.keys) == ["network", "name", "holds_key", "members"])
        #expect(network["network"] as? String == net.network)
        #expect(network["name"] as? String == "north-corridor")
        #expect(network["holds_key"] as? Bool == true)
        let members = try #require(network["members"] as? [[String: Any]])
        for member in members { #expect(Set(member.keys) == ["node", "role", "name"], "\(member)") }
        let roles = Dictionary(
            uniqueKeysWithValues: members.compactMap { member in
                (member["node"] as? String).map { ($0, member["role"] as? String ?? "") }
            })
        #expect(roles == [net.adminID: "admin", net.clinicID: "field"])
    }

    @Test("a field member cannot enroll nodes, and a certificate it signs anyway makes no one trusted")
    func aNodeEnrolledByAFieldMemberIsNotTrusted() throws {
        let net = try Network.shared.get()
        let sandbox = try Sandbox()
        let post = try sandbox.restore(net.post)
        let clinic = try sandbox.restore(net.clinic)
        try post.importBundle(sandbox.write(net.adminToPost, "from-admin.wpb"))
        let rogue = try sandbox.node("rogue")

        // Through the CLI, the clinic may not enroll anyone.
        try clinic.succeed(["network", "join", net.network])
        let clinicBefore = try clinic.json(["network", "list"]).stdout
        expectFailure(
            try clinic.run(["network", "enroll", rogue.nodeID, "--name", "rogue", "--network", net.network]),
            exitCode: 1, mentioning: ["not an admin", shortID(net.network)])
        #expect(try clinic.json(["network", "list"]).stdout == clinicBefore)

        // A rogue node presents a certificate the clinic signed (as a tampered clinic could): even one
        // that claims the admin role is not counted, and the rogue's bundle is refused.
        try rogue.trust(post)
        try rogue.succeed(["case", "add", "given_name=Mallory"])
        try Self.plantCertificate(
            for: rogue.nodeID, name: "rogue", role: .admin, network: net.network, signedBy: clinic.identityKey(),
            in: rogue)
        let forged = try rogue.export(to: post)
        let before = try post.snapshot()
        expectFailure(
            try post.run(["bundle", "import", forged]), exitCode: 5, mentioning: [rogue.nodeID, "does not trust"])
        #expect(try post.snapshot() == before)
        let trusted = try post.json(["peer", "list"]).jsonArray().compactMap {
            ($0 as? [String: Any])?["node"] as? String
        }
        #expect(Set(trusted) == [net.adminID, net.clinicID])

        // The same certificate signed by the network's key is counted: the refusal was the issuer's.
        try Self.plantCertificate(
            for: rogue.nodeID, name: "rogue", role: .field, network: net.network, signedBy: net.networkKey, in: rogue)
        #expect(try post.importBundle(rogue.export(to: post))["sender"] as? String == rogue.nodeID)
    }

    /// Stores in `node`'s replica a certificate enrolling `member` in `network`, signed with the key in
    /// `keyFile` (a key file under the test passphrase, `Protocol/keys.md` §3). The node's next bundles
    /// carry it.
    static func plantCertificate(
        for member: String, name: String, role: Role, network: String, signedBy keyFile: [UInt8], in node: TestNode
    ) throws {
        let secret = try PassphraseProtection.open(keyFile, passphrase: { WaypostProcess.passphrase })
        let issuer = try SigningKeyPair(secretKey: secret.withUnsafeBytes { Array($0) })
        let certificate = Certificate.issue(
            network: try NodeID(parsing: network), node: try NodeID(parsing: member), role: role, name: name,
            issuedAt: UInt64(Date().timeIntervalSince1970 * 1000), by: issuer)
        // As the node itself would store one it received: the certificates are authenticated under its key.
        let own = try PassphraseProtection.open(try node.identityKey(), passphrase: { WaypostProcess.passphrase })
        let storageKey = StorageKey(derivedFrom: try SigningKeyPair(secretKey: own.withUnsafeBytes { Array($0) }))
        try SQLiteReplica.open(at: node.home + "/replica.sqlite", storageKey: storageKey).store([certificate])
    }
}
