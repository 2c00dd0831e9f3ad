/// Which datagrams a discovery listener takes at all (`Protocol/sync.md` §8.4), before it looks for an
/// announcement in them: only those sent **to the group**, **from a host on the link** they arrived on.
/// No sockets here, only the rule.
///
/// An announcement carries an address for a node, and nothing in it binds it to its sender, so the
/// listener accepts it only from where announcements come: the multicast group, which routers do not
/// forward (announcements go out with a TTL of 1), and a source on the same link, which cannot be a host
/// beyond a router. A datagram sent straight to this host's address (unicast), from anywhere, is
/// ignored, as is one whose source is on no network of the interface it came in on.
package struct DiscoveryFilter: Sendable, Hashable {
    /// One IPv4 network an interface is on: its address and netmask.
    package struct Link: Sendable, Hashable {
        package let address: UInt32
        package let netmask: UInt32

        /// A network from an address and netmask in dotted form (`192.168.1.20`, `255.255.255.0`).
        package init?(address: String, netmask: String) {
            guard let address = DiscoveryFilter.ipv4(address), let netmask = DiscoveryFilter.ipv4(netmask) else {
                return nil
            }
            self.address = address
            self.netmask = netmask
        }

        /// Whether `host` is on this network.
        package func contains(_ host: UInt32) -> Bool { host & netmask == address & netmask }
    }

    /// The group's address.
    package let group: UInt32

    /// A filter for the multicast group `group` (dotted form); nil if it is not an IPv4 multicast address.
    package init?(group: String) {
        guard let group = Self.ipv4(group), Self.isMulticast(group) else { return nil }
        self.group = group
    }

    /// Whether to look at a datagram from `source` that was addressed to `destination` (nil if the
    /// system did not say) and arrived on an interface on the networks `links`.
    package func accepts(source: String, destination: String?, links: [Link]) -> Bool {
        guard let destination, Self.ipv4(destination) == group else { return false }
        guard let source = Self.ipv4(source), source != 0, source != UInt32.max, !Self.isMulticast(source) else {
            return false
        }
        return Self.isLinkLocal(source) || links.contains { $0.contains(source) }
    }

    /// `169.254.0.0/16` (RFC 3927): addresses a host gives itself on a link, valid on that link only.
    static func isLinkLocal(_ address: UInt32) -> Bool { address >> 16 == 0xA9FE }

    /// `224.0.0.0/4`.
    static func isMulticast(_ address: UInt32) -> Bool { address >> 28 == 0xE }

    /// An IPv4 address in dotted form as a number (the first byte the highest), or nil.
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
