import Testing
import WaypostSync
import WaypostTesting

/// Who gets a connection slot when a socket arrives: strangers cannot keep the node's peers out.
@Suite struct ConnectionTableTests {
    @Test func socketsAreAdmittedWhileThereIsRoom() {
        var table = ConnectionTable<Int>(maximumConnections: 3, maximumUnauthenticatedPerAddress: 4)
        #expect(table.open(1, from: "10.0.0.1") == .admitted(evicting: nil))
        #expect(table.open(2, from: "10.0.0.2") == .admitted(evicting: nil))
        #expect(table.open(3, from: "10.0.0.3") == .admitted(evicting: nil))
        #expect(table.count == 3 && table.unauthenticatedCount == 3)
    }

    @Test func oneAddressHoldsAtMostItsShareOfUnauthenticatedSockets() {
        var table = ConnectionTable<Int>(maximumConnections: 64, maximumUnauthenticatedPerAddress: 4)
        for id in 1...4 { #expect(table.open(id, from: "203.0.113.9") == .admitted(evicting: nil)) }
        // The fifth from that address takes the place of its oldest; other addresses are not touched.
        #expect(table.open(100, from: "10.0.0.1") == .admitted(evicting: nil))
        #expect(table.open(5, from: "203.0.113.9") == .admitted(evicting: 1))
        #expect(table.open(6, from: "203.0.113.9") == .admitted(evicting: 2))
        #expect(table.contains(100) && !table.contains(1) && !table.contains(2))
        #expect(table.count == 5)
    }

    @Test func authenticatedConnectionsDoNotCountAgainstTheirAddress() {
        var table = ConnectionTable<Int>(maximumConnections: 64, maximumUnauthenticatedPerAddress: 2)
        // Two peers behind one address (a site's NAT), both accepted.
        _ = table.open(1, from: "198.51.100.7")
        _ = table.open(2, from: "198.51.100.7")
        let authenticated1 = table.authenticateAll([1, 2])
        #expect(authenticated1)
        #expect(table.open(3, from: "198.51.100.7") == .admitted(evicting: nil))
        #expect(table.open(4, from: "198.51.100.7") == .admitted(evicting: nil))
        #expect(table.open(5, from: "198.51.100.7") == .admitted(evicting: 3))
        #expect(table.isAuthenticated(1) && table.isAuthenticated(2))
    }

    @Test func aFullTableDropsItsOldestUnauthenticatedConnection() {
        var table = ConnectionTable<Int>(maximumConnections: 3, maximumUnauthenticatedPerAddress: 4)
        _ = table.open(1, from: "10.0.0.1")
        _ = table.open(2, from: "10.0.0.2")
        _ = table.open(3, from: "10.0.0.3")
        let authenticated1 = table.authenticateAll([1])
        #expect(authenticated1)
        // 2 is the oldest not yet accepted; 1 is older but accepted, and stays.
        #expect(table.open(4, from: "10.0.0.4") == .admitted(evicting: 2))
        #expect(table.open(5, from: "10.0.0.5") == .admitted(evicting: 3))
        #expect(table.contains(1) && table.contains(4) && table.contains(5) && table.count == 3)
    }

    @Test func aTableFullOfAcceptedPeersRefusesTheNewSocket() {
        var table = ConnectionTable<Int>(maximumConnections: 2, maximumUnauthenticatedPerAddress: 4)
        _ = table.open(1, from: "10.0.0.1")
        _ = table.open(2, from: "10.0.0.2")
        let authenticated1 = table.authenticateAll([1, 2])
        #expect(authenticated1)
        #expect(table.open(3, from: "10.0.0.3") == .refused)
        #expect(!table.contains(3) && table.count == 2)
        table.close(2)
        #expect(table.open(3, from: "10.0.0.3") == .admitted(evicting: nil))
    }

    @Test func aDroppedConnectionCannotAuthenticateAfterwards() {
        var table = ConnectionTable<Int>(maximumConnections: 1, maximumUnauthenticatedPerAddress: 4)
        _ = table.open(1, from: "10.0.0.1")
        #expect(table.open(2, from: "10.0.0.2") == .admitted(evicting: 1))
        let authenticated1 = table.authenticateAll([1])
        #expect(!authenticated1, "its slot went to another socket")
        let authenticated2 = table.authenticateAll([2])
        #expect(authenticated2)
        table.close(1)  // its task ends later: nothing happens
        #expect(table.count == 1 && table.isAuthenticated(2))
    }

    /// Whatever strangers do, an accepted peer keeps its slot and a new peer always gets one while any
    /// slot holds a stranger.
    @Test func strangersNeverDisplaceAcceptedPeers() {
        var generator = SplitMix64(seed: 15)
        for _ in 0..<50 {
            var table = ConnectionTable<Int>(maximumConnections: 8, maximumUnauthenticatedPerAddress: 3)
            var accepted: Set<Int> = []
            var next = 0
            for _ in 0..<400 {
                next += 1
                let address = "10.0.0.\(Int.random(in: 1...4, using: &generator))"
                let full = table.count == 8 && table.unauthenticatedCount == 0
                switch table.open(next, from: address) {
                case .refused:
                    #expect(full, "refused while a stranger held a slot")
                case .admitted(let evicting):
                    if let evicting { #expect(!accepted.contains(evicting), "an accepted peer was dropped") }
                    if Int.random(in: 0..<10, using: &generator) == 0, accepted.count < 6, table.authenticate(next) {
                        accepted.insert(next)
                    }
                }
                if Int.random(in: 0..<20, using: &generator) == 0,
                    let leaving = accepted.randomElement(using: &generator)
                {
                    table.close(leaving)
                    accepted.remove(leaving)
                }
                #expect(table.count <= 8)
                #expect(accepted.allSatisfy { table.isAuthenticated($0) })
            }
        }
    }
}

extension ConnectionTable {
    /// Authenticates each of `connections`; returns whether every one held a slot.
    mutating func authenticateAll(_ connections: [Connection]) -> Bool {
        connections.map { authenticate($0) }.allSatisfy { $0 }
    }
}
