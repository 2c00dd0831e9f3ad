import Foundation
import Testing
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// The peers a node exchanges bundles with: adding, listing, removing, what each has seen, and the
/// trust a peer is given.
@Suite struct ReplicaPeerTests {
    let myKeys = StoreFixtures.keys(1)
    let officeKeys = StoreFixtures.keys(2)
    var me: NodeID { myKeys.publicKey }
    var office: NodeID { officeKeys.publicKey }
    let clinic = StoreFixtures.keys(3).publicKey

    @Test func addListAndRemovePeers() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try StoreFixtures.replica(in: directory, keys: myKeys, clock: clock)
            #expect(try replica.peers().isEmpty)
            try replica.addPeer(named: "office", node: office)
            clock.advance(by: 1_000)
            try replica.addPeer(named: "clinic.north", node: clinic)

            let peers = try replica.peers()
            #expect(peers.map(\.name) == ["clinic.north", "office"])
            #expect(peers.map(\.node) == [clinic, office])
            #expect(peers.map(\.role) == [.field, .field])
            #expect(peers.map(\.addedAt) == [clock.read(), clock.read() - 1_000])
            #expect(peers.allSatisfy { $0.lastImportAt == nil && $0.lastExportAt == nil && $0.seen == VersionVector() })
            #expect(try replica.peer(named: "office").node == office)

            try replica.removePeer(named: "office")
            #expect(try replica.peers().map(\.name) == ["clinic.north"])
            let gone = #expect(throws: StoreError.self) { try replica.peer(named: "office") }
            #expect(gone?.code == .notFound)
            let again = #expect(throws: StoreError.self) { try replica.removePeer(named: "office") }
            #expect(again?.code == .notFound)
        }
    }

    /// A name or a node already taken, this node's own id, and names that are not simple words are refused.
    @Test func addPeerRefusesTakenNamesAndNodesAndOwnID() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: myKeys)
            try replica.addPeer(named: "office", node: office)

            let sameName = #expect(throws: StoreError.self) { try replica.addPeer(named: "office", node: clinic) }
            #expect(sameName?.code == .alreadyExists)
            let sameNode = #expect(throws: StoreError.self) { try replica.addPeer(named: "hq", node: office) }
            #expect(sameNode?.code == .alreadyExists)
            #expect(sameNode?.message.contains("office") == true)
            let own = #expect(throws: StoreError.self) { try replica.addPeer(named: "me", node: me) }
            #expect(own?.code == .invalid)
            for name in ["", "two words", "semi;colon", String(repeating: "a", count: 65)] {
                let bad = #expect(throws: StoreError.self) { try replica.addPeer(named: name, node: clinic) }
                #expect(bad?.code == .invalid)
            }
            #expect(try replica.peers().map(\.node) == [office])
        }
    }

    /// `recordSeen` records what a peer had seen, never moving back, and the import time; for a node
    /// that is not a peer it does nothing. Removing a peer forgets what it had seen.
    @Test func recordSeenUpdatesWhatAPeerHasSeen() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try StoreFixtures.replica(in: directory, keys: myKeys, clock: clock)
            try replica.addPeer(named: "office", node: office)

            clock.advance(by: 5_000)
            try replica.recordSeen(by: office, VersionVector([me: 3, clinic: 5]))
            var peer = try replica.peer(named: "office")
            #expect(peer.seen == VersionVector([me: 3, clinic: 5]))
            #expect(peer.lastImportAt == clock.read())

            try replica.recordSeen(by: office, VersionVector([me: 2, office: 4]))
            peer = try replica.peer(named: "office")
            #expect(peer.seen == VersionVector([me: 3, clinic: 5, office: 4]))

            try replica.recordSeen(by: clinic, VersionVector([me: 9]))
            #expect(try replica.peers().map(\.seen) == [VersionVector([me: 3, clinic: 5, office: 4])])

            clock.advance(by: 1_000)
            try replica.recordExport(to: "office")
            #expect(try replica.peer(named: "office").lastExportAt == clock.read())

            try replica.removePeer(named: "office")
            try replica.addPeer(named: "office", node: office)
            #expect(try replica.peer(named: "office").seen == VersionVector())
        }
    }

    /// A peer is trusted pairwise with the role it was added with; its changes apply as the sender's
    /// and the origin's. Once removed, it is trusted no more: what it sends is refused, and what it
    /// sent before stays.
    @Test func aPeerIsTrustedUntilItIsRemoved() throws {
        try withTemporaryDirectory { directory in
            let replica = try StoreFixtures.replica(in: directory, keys: myKeys)
            try replica.addPeer(named: "office", node: office, role: .admin)
            try replica.addPeer(named: "clinic", node: clinic)
            let trust = try replica.trust()
            #expect(trust.grants(for: office) == [.pairwise(.admin)])
            #expect(trust.grants(for: clinic) == [.pairwise(.field)])
            #expect(trust.grants(for: me) == [.local])
            #expect(trust.trustedNodes == [office, clinic].sorted())
            #expect(try replica.peer(named: "office").role == .admin)

            var chain = OriginChain(officeKeys)
            let first = chain.append(StoreFixtures.notes(office, count: 2))
            #expect(try replica.apply(first, from: office).applied == 2)

            try replica.removePeer(named: "office")
            #expect(!(try replica.trust().trusts(office)))
            let before = try ReplicaSnapshot(replica)
            let skipped = try replica.apply(chain.append(StoreFixtures.notes(office, from: 3, count: 1)))
            #expect(skipped.applied == 0 && skipped.untrustedOrigins == [office: 1])
            #expect(try ReplicaSnapshot(replica) == before)
            #expect(before.versions[office] == 2)
        }
    }
}
