import Testing
import WaypostSync

/// Which datagrams discovery looks at: sent to the group, from a host on the link (`Protocol/sync.md` §8.4).
@Suite struct DiscoveryFilterTests {
    let filter = DiscoveryFilter(group: "239.255.78.50")!
    let lan = [DiscoveryFilter.Link(address: "192.168.1.20", netmask: "255.255.255.0")!]

    @Test func anAnnouncementToTheGroupFromTheLinkIsTaken() {
        #expect(filter.accepts(source: "192.168.1.77", destination: "239.255.78.50", links: lan))
        #expect(filter.accepts(source: "169.254.10.3", destination: "239.255.78.50", links: lan), "link-local")
        #expect(filter.accepts(source: "169.254.10.3", destination: "239.255.78.50", links: []))
        let loopback = [DiscoveryFilter.Link(address: "127.0.0.1", netmask: "255.0.0.0")!]
        #expect(filter.accepts(source: "127.0.0.1", destination: "239.255.78.50", links: loopback))
    }

    @Test func aUnicastDatagramIsIgnoredWhereverItComesFrom() {
        #expect(!filter.accepts(source: "192.168.1.77", destination: "192.168.1.20", links: lan))
        #expect(!filter.accepts(source: "203.0.113.5", destination: "192.168.1.20", links: lan))
        #expect(!filter.accepts(source: "192.168.1.77", destination: "192.168.1.255", links: lan), "broadcast")
        #expect(!filter.accepts(source: "192.168.1.77", destination: "239.255.78.51", links: lan), "another group")
        #expect(!filter.accepts(source: "192.168.1.77", destination: nil, links: lan), "destination unknown")
    }

    @Test func aSourceBeyondTheLinkIsIgnored() {
        #expect(!filter.accepts(source: "203.0.113.5", destination: "239.255.78.50", links: lan))
        #expect(!filter.accepts(source: "192.168.2.77", destination: "239.255.78.50", links: lan))
        #expect(!filter.accepts(source: "0.0.0.0", destination: "239.255.78.50", links: lan))
        #expect(!filter.accepts(source: "224.0.0.1", destination: "239.255.78.50", links: lan))
        #expect(!filter.accepts(source: "::1", destination: "239.255.78.50", links: lan))
    }

    @Test func onlyMulticastGroupsAndDottedAddressesAreTaken() {
        #expect(DiscoveryFilter(group: "192.168.1.1") == nil)
        #expect(DiscoveryFilter(group: "239.255.78") == nil)
        #expect(DiscoveryFilter(group: "239.255.78.500") == nil)
        #expect(DiscoveryFilter.Link(address: "10.0.0.1", netmask: "255.0.0") == nil)
    }
}
