import Foundation
import Testing
@testable import WaypostCore
@testable import WaypostStore

/// The peers a node exchanges bundles with: adding, listing, removing, and what each has seen.
@Suite struct ReplicaPeerTests {
    let me = StoreFixtures.node(1)
    let office = StoreFixtures.node(2)
    let clinic = StoreFixtures.node(3)

    @Test func addListAndRemovePeers() throws {
        try withTemporaryDirectory { directory in
            let clock = ManualClock()
            let replica = try StoreFixtures.replica(in: directory, node: me, clock: clock)
            #expect(try replica.peers().isEmpty)
            try replica.addPeer(named: "office", node: office)
            clock.advance(by: 1_000)
            try replica.addPeer(named: "clinic.north", node: clinic)

            let peers = try replica.peers()
            #expect(peers.map(\.name) == ["clinic.north", "office"])
            #expect(peers.map(\.node) == [clinic, office])
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
            let replica = try StoreFixtures.replica(in: directory, node: me)
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
            let replica = try StoreFixtures.replica(in: directory, node: me, clock: clock)
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
}
