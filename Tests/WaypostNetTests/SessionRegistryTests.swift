import Synchronization
import Testing
import WaypostCore
import WaypostSync

@testable import WaypostNet

/// `serve`'s slots: a socket that takes another's place closes it, an accepted one keeps its own.
@Suite struct SessionRegistryTests {
    @Test func aSocketThatTakesAPlaceClosesTheOneItReplaces() {
        var limits = SyncLimits.standard
        limits.maximumConnections = 2
        let registry = SessionRegistry(local: NodeID(bytes: [UInt8](repeating: 1, count: 32)), limits: limits)
        let closed = Mutex<[String]>([])
        func open(_ name: String, from address: String) -> (slot: SessionRegistry.Slot?, evicted: String?) {
            registry.openConnection(from: address, close: { closed.withLock { $0.append(name) } })
        }
        let peer = open("peer", from: "10.0.0.1")
        #expect(peer.slot != nil && peer.evicted == nil)
        #expect(registry.authenticate(peer.slot!))
        let stranger = open("stranger", from: "203.0.113.5")
        #expect(stranger.slot != nil && stranger.evicted == nil)
        let next = open("next", from: "203.0.113.6")
        #expect(next.slot != nil && next.evicted == "203.0.113.5")
        #expect(closed.withLock { $0 } == ["stranger"])
        #expect(!registry.authenticate(stranger.slot!), "its place went to another socket")
        // Both slots hold accepted peers: a new socket is refused, and nobody is closed for it.
        #expect(registry.authenticate(next.slot!))
        let refused = open("refused", from: "203.0.113.7")
        #expect(refused.slot == nil && refused.evicted == nil)
        #expect(closed.withLock { $0 } == ["stranger"])
        registry.closeConnection(next.slot!)
        #expect(open("later", from: "203.0.113.7").slot != nil)
    }
}
