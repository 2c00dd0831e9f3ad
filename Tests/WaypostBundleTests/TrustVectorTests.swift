import Testing
import WaypostTesting
import WaypostCore
import WaypostCrypto
import WaypostTrust

@testable import WaypostBundle

/// The trust test vectors in `Protocol/vectors/` (`trust-chain.txt`, `certificate.txt`), rebuilt from their
/// inputs both with `WaypostTrust` and by hand from `Protocol/trust.md`, and the rules `trust.md` states.
@Suite struct TrustVectorTests {
    // MARK: The hash chain

    /// The chain vector's values.
    static func chain() throws -> [String: String] { try ProtocolFiles.values("trust-chain.txt") }

    static func text(_ values: [String: String], _ name: String) throws -> String {
        try #require(values[name], "no \(name) in the vector")
    }

    static func bytes(_ values: [String: String], _ name: String) throws -> [UInt8] {
        try ProtocolFiles.hexBytes(try text(values, name))
    }

    static func number<T: FixedWidthInteger>(_ values: [String: String], _ name: String, as _: T.Type) throws -> T {
        let text = try text(values, name)
        return try #require(T(text), "\(name) is not a number: \(text)")
    }

    /// The vector's changes, built from its lines.
    static func changes(_ values: [String: String], origin: NodeID) throws -> [Change] {
        try (1...3).map { n in
            func value(_ name: String) throws -> String { try text(values, "change-\(n)-\(name)") }
            let collection = try number(values, "change-\(n)-collection", as: UInt8.self)
            let supersedes = try values.keys.filter { $0.hasPrefix("change-\(n)-supersedes-") }.sorted().map { key in
                let parts = try #require(values[key]).split(separator: ":")
                return Dot(
                    origin: NodeID(bytes: try ProtocolFiles.hexBytes(String(parts[0]))),
                    sequence: try #require(UInt64(parts[1])))
            }
            let argument = try value("value")
            let operation: WaypostCore.Operation =
                switch try value("operation") {
                case "1": .assign(value: argument, supersedes: supersedes)
                case "2": .insert(element: argument)
                case "3": .remove(element: argument, supersedes: supersedes)
                case "4": .increment(by: try #require(Int64(argument)))
                default: .append(entry: argument)
                }
            return Change(
                dot: Dot(origin: origin, sequence: try #require(UInt64(try value("sequence")))),
                timestamp: HybridTimestamp(rawValue: try #require(UInt64(try value("timestamp")))),
                collection: try #require(RecordCollection(rawValue: collection)),
                record: try #require(RecordID(bytes: try ProtocolFiles.hexBytes(try value("record")))),
                field: try value("field"), operation: operation)
        }
    }

    @Test func theChainVectorIsWhatChangeChainComputes() throws {
        let values = try Self.chain()
        let keys = try SigningKeyPair(seed: try Self.bytes(values, "seed"))
        #expect(keys.publicKey.bytes == (try Self.bytes(values, "origin")))
        #expect(keys.publicKey.description == values["origin-id"])
        let changes = try Self.changes(values, origin: keys.publicKey)
        #expect(changes == BundleSamples.exampleChanges)
        let recordKey = try Self.bytes(values, "record-key")
        #expect(ChangeChain.keyCommitment(recordKey) == (try Self.bytes(values, "key-commitment")))
        var head = try Self.bytes(values, "head-0")
        #expect(head == ChangeChain.genesis)
        for (index, change) in changes.enumerated() {
            let n = index + 1
            let introduces = values["change-\(n)-introduces-key"] == "1"
            #expect(introduces == (index == 0))
            #expect(
                ChangeChain.valueDigest(change.operation.argument, recordKey: recordKey)
                    == (try Self.bytes(values, "change-\(n)-value-digest")))
            let leaf = ChangeChain.leaf(of: change, recordKey: recordKey, introducesKey: introduces)
            #expect(leaf == (try Self.bytes(values, "change-\(n)-leaf")), "leaf \(n)")
            // The same leaf from the value's digest, as for a change whose value has been erased.
            #expect(
                ChangeChain.leaf(
                    of: change, valueDigest: ChangeChain.valueDigest(change.operation.argument, recordKey: recordKey),
                    keyCommitment: introduces ? ChangeChain.keyCommitment(recordKey) : nil) == leaf)
            head = ChangeChain.head(after: head, leaf: leaf)
            #expect(head == (try Self.bytes(values, "change-\(n)-head")), "head \(n)")
        }
        #expect(head == BundleSamples.exampleHeads[2])
        let dot = changes[2].dot
        #expect(ChangeChain.signedMessage(at: dot, head: head) == (try Self.bytes(values, "signed-message-3")))
        let signature = try Self.bytes(values, "signature-3")
        // Ed25519 is deterministic: signing again gives the vector's signature.
        #expect(ChangeChain.sign(at: dot, head: head, with: keys) == signature)
        #expect(ChangeChain.isValid(signature, at: dot, head: head))
        #expect(signature == BundleSamples.exampleSignature)
    }

    @Test func theChainVectorFollowsTheSpecificationByteForByte() throws {
        // trust.md §2, without ChangeChain: each leaf's input built field by field, hashed with BLAKE2b.
        let values = try Self.chain()
        let origin = NodeID(bytes: try Self.bytes(values, "origin"))
        let recordKey = try Self.bytes(values, "record-key")
        let commitment = Blake2b.hash(Array("waypost/record-key/v1".utf8) + [0] + recordKey)
        #expect(commitment == (try Self.bytes(values, "key-commitment")))
        var head = [UInt8](repeating: 0, count: 32)
        for (index, change) in try Self.changes(values, origin: origin).enumerated() {
            let n = index + 1
            var input = ByteWriter()
            input.write(bytes: Array("waypost/change/v1".utf8) + [0])
            input.write(bytes: origin.bytes)
            input.write(bigEndian: change.dot.sequence)
            input.write(bigEndian: change.timestamp.rawValue)
            input.write(change.collection.rawValue)
            input.write(bytes: change.record.bytes)
            input.write(lengthPrefixed: Array(change.field.utf8))
            input.write(try Self.number(values, "change-\(n)-operation", as: UInt8.self))
            input.write(varint: UInt64(change.operation.supersedes.count))
            for dot in change.operation.supersedes {
                input.write(bytes: dot.origin.bytes)
                input.write(bigEndian: dot.sequence)
            }
            if index == 0 {
                input.write(0x01)
                input.write(bytes: commitment)
            } else {
                input.write(0x00)
            }
            let digest = Blake2b.hash(Array(change.operation.argument.utf8), outputLength: 32, key: recordKey)
            input.write(bytes: digest)
            #expect(input.bytes == (try Self.bytes(values, "change-\(n)-leaf-input")), "leaf input \(n)")
            let leaf = Blake2b.hash(input.bytes)
            #expect(leaf == (try Self.bytes(values, "change-\(n)-leaf")))
            head = Blake2b.hash(Array("waypost/chain/v1".utf8) + [0] + head + leaf)
            #expect(head == (try Self.bytes(values, "change-\(n)-head")))
        }
        let message = Array("waypost/head/v1".utf8) + [0] + origin.bytes + [0, 0, 0, 0, 0, 0, 0, 3] + head
        #expect(message.count == 88)
        #expect(message == (try Self.bytes(values, "signed-message-3")))
        #expect(SignatureVerifier.isValid(try Self.bytes(values, "signature-3"), of: message, by: origin))
    }

    @Test func aRelayCannotAlterReorderOrRemoveFromTheMiddle() throws {
        // What a receiver recomputes from what a relay passes on, against the origin's signature at change 3.
        let changes = BundleSamples.exampleChanges
        let key = BundleSamples.recordKey
        let dot = changes[2].dot
        func signed(_ run: [(Change, introduces: Bool)], key: [UInt8] = key) -> Bool {
            var head = ChangeChain.genesis
            for (change, introduces) in run {
                head = ChangeChain.head(
                    after: head, leaf: ChangeChain.leaf(of: change, recordKey: key, introducesKey: introduces))
            }
            return ChangeChain.isValid(BundleSamples.exampleSignature, at: dot, head: head)
        }
        #expect(signed([(changes[0], true), (changes[1], false), (changes[2], false)]))
        #expect(!signed([(changes[0], true), (changes[2], false)]))  // one removed from the middle
        #expect(!signed([(changes[1], false), (changes[0], true), (changes[2], false)]))  // reordered
        #expect(!signed([(changes[0], false), (changes[1], false), (changes[2], false)]))  // no commitment
        var other = key
        other[0] ^= 1
        #expect(!signed([(changes[0], true), (changes[1], false), (changes[2], false)], key: other))  // another key
        let altered = Change(
            dot: changes[1].dot, timestamp: changes[1].timestamp, collection: changes[1].collection,
            record: changes[1].record, field: changes[1].field, operation: .insert(element: "so"))
        #expect(!signed([(changes[0], true), (altered, false), (changes[2], false)]))  // a value changed
        // The signature is for one origin and one sequence number.
        #expect(
            !ChangeChain.isValid(
                BundleSamples.exampleSignature, at: Dot(origin: dot.origin, sequence: 4),
                head: BundleSamples.exampleHeads[2]))
        #expect(
            !ChangeChain.isValid(
                BundleSamples.exampleSignature, at: Dot(origin: BundleSamples.other, sequence: 3),
                head: BundleSamples.exampleHeads[2]))
    }

    // MARK: Certificates

    @Test func theCertificateVectorIsWhatCertificateIssues() throws {
        let values = try ProtocolFiles.values("certificate.txt")
        let network = try SigningKeyPair(seed: try Self.bytes(values, "network-seed"))
        let node = try SigningKeyPair(seed: try Self.bytes(values, "node-seed"))
        #expect(network.publicKey.bytes == (try Self.bytes(values, "network")))
        #expect(network.publicKey.description == values["network-id"])
        #expect(node.publicKey.bytes == (try Self.bytes(values, "node")))
        #expect(node.publicKey.description == values["node-id"])
        let roleCode = try Self.number(values, "role", as: UInt8.self)
        let role = try #require(Role(rawValue: roleCode))
        let name = try Self.text(values, "name")
        let issuedAt = try Self.number(values, "issued-at", as: UInt64.self)
        let certificate = Certificate.issue(
            network: network.publicKey, node: node.publicKey, role: role, name: name, issuedAt: issuedAt, by: network)
        let bytes = try Self.bytes(values, "certificate")
        #expect(certificate.bytes == bytes)
        #expect(certificate == BundleSamples.exampleCertificate)
        #expect(certificate.issuer.bytes == (try Self.bytes(values, "issuer")))
        #expect(certificate.signature == (try Self.bytes(values, "signature")))

        // By hand, from trust.md §3.
        let signed = try Self.bytes(values, "signed")
        var body = ByteWriter()
        body.write(bytes: Array("WPCERT".utf8) + [0x01])
        body.write(bytes: network.publicKey.bytes)
        body.write(bytes: node.publicKey.bytes)
        body.write(role.rawValue)
        body.write(lengthPrefixed: Array(name.utf8))
        body.write(bigEndian: issuedAt)
        body.write(bytes: network.publicKey.bytes)
        #expect(body.bytes == signed)
        #expect(signed + certificate.signature == bytes)
        #expect(SignatureVerifier.isValid(certificate.signature, of: signed, by: network.publicKey))

        let decoded = try Certificate(decoding: bytes)
        #expect(decoded == certificate)
        #expect(decoded.name == "Kakuma clinic" && decoded.role == .field && decoded.issuedAt == 1_794_000_000_000)
    }

    @Test func everyChangedByteOfTheCertificateIsRefused() throws {
        let bytes = try Self.bytes(try ProtocolFiles.values("certificate.txt"), "certificate")
        for position in bytes.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var changed = bytes
                changed[position] ^= mask
                let error = #expect(throws: TrustError.self, "byte \(position)") { try Certificate(decoding: changed) }
                #expect(error?.code == .badCertificate)
            }
        }
        for length in 0..<bytes.count {
            #expect(throws: TrustError.self) { try Certificate(decoding: Array(bytes[0..<length])) }
        }
        #expect(throws: TrustError.self) { try Certificate(decoding: bytes + [0]) }
    }

    // MARK: Who is trusted (trust.md §4)

    @Test func certificatesCountOnlyForJoinedNetworksAndEntitledIssuers() throws {
        let local = try SigningKeyPair(seed: BundleSamples.seed(0xC0)).publicKey
        let network = BundleSamples.networkKeys
        let admin = BundleSamples.otherKeys
        let field = BundleSamples.senderKeys
        let stranger = try SigningKeyPair(seed: BundleSamples.seed(0xA0))
        let newcomer = BundleSamples.recipient
        let adminCertificate = Certificate.issue(
            network: network.publicKey, node: admin.publicKey, role: .admin, name: "admin", issuedAt: 1, by: network)
        let fieldCertificate = Certificate.issue(
            network: network.publicKey, node: field.publicKey, role: .field, name: "field", issuedAt: 1, by: network)
        let byAdmin = Certificate.issue(
            network: network.publicKey, node: newcomer, role: .field, name: "by admin", issuedAt: 2, by: admin)
        let byField = Certificate.issue(
            network: network.publicKey, node: stranger.publicKey, role: .admin, name: "by field", issuedAt: 2, by: field
        )

        // Not joined: nothing counts.
        let notJoined = TrustRegistry(
            local: local, pairwise: [:], joinedNetworks: [],
            certificates: [adminCertificate, fieldCertificate, byAdmin])
        #expect(notJoined.trustedNodes.isEmpty)
        #expect(notJoined.trusts(local) && notJoined.role(of: local) == .admin)

        // Joined: the network key's certificates count, an admin member's too (in any order), a field
        // member's do not.
        let joined = TrustRegistry(
            local: local, pairwise: [:], joinedNetworks: [network.publicKey],
            certificates: [byAdmin, byField, fieldCertificate, adminCertificate])
        #expect(joined.role(of: admin.publicKey) == .admin)
        #expect(joined.role(of: field.publicKey) == .field)
        #expect(joined.role(of: newcomer) == .field)
        #expect(!joined.trusts(stranger.publicKey))
        #expect(joined.grants(for: newcomer) == [.enrolled(network: network.publicKey, role: .field)])

        // A pairwise admin is trusted, but its certificates for a network do not count.
        let pairwiseAdmin = TrustRegistry(
            local: local, pairwise: [admin.publicKey: .admin], joinedNetworks: [network.publicKey],
            certificates: [byAdmin])
        #expect(pairwiseAdmin.role(of: admin.publicKey) == .admin)
        #expect(!pairwiseAdmin.trusts(newcomer))

        // Pairwise and enrolled: both grants, the higher role.
        let both = TrustRegistry(
            local: local, pairwise: [field.publicKey: .field], joinedNetworks: [network.publicKey],
            certificates: [
                Certificate.issue(
                    network: network.publicKey, node: field.publicKey, role: .admin, name: "promoted", issuedAt: 3,
                    by: network)
            ])
        #expect(both.grants(for: field.publicKey).count == 2)
        #expect(both.role(of: field.publicKey) == .admin)
    }
}
