import Foundation
import Synchronization
import Logging
import NIOCore
import NIOPosix
import WaypostCore
public import WaypostSync
import WaypostCrypto
import WaypostStore
import WaypostTrust

/// `serve --discover`: announces this node on a LAN multicast group and listens for the announcements of
/// nodes it trusts (`Protocol/sync.md` §8). Off by default: announcing a node can itself be a risk.
///
/// An ``Announcement`` reveals only a port and a salted tag of the node id, so only nodes that know the
/// id recognise it. What is found is a candidate address; the handshake still proves who is there.
public struct DiscoveryOptions: Sendable, Hashable {
    /// The multicast group and UDP port.
    public var group: PeerAddress
    /// The IPv4 address of the interface to announce and listen on, or nil for the system's choice.
    public var interface: String?
    /// Seconds between announcements.
    public var interval: Double

    /// Makes options.
    public init(group: PeerAddress = Announcement.defaultGroup, interface: String? = nil, interval: Double = 5) {
        self.group = group
        self.interface = interface
        self.interval = interval
    }
}

/// The addresses discovery found, by node: the dialler's candidates. An address not announced again
/// for `lifetime` is forgotten, so a node that left the link is dialled at its stored address again.
final class DiscoveredAddresses: Sendable {
    private let addresses = Mutex<[NodeID: (address: PeerAddress, heard: ContinuousClock.Instant)]>([:])
    private let lifetime: Duration

    init(lifetime: Duration = .seconds(60)) { self.lifetime = lifetime }

    /// Records `address` for `node`; returns whether it is new.
    func record(_ address: PeerAddress, for node: NodeID) -> Bool {
        addresses.withLock { addresses in
            defer { addresses[node] = (address, .now) }
            return addresses[node]?.address != address
        }
    }

    /// The last address heard for `node`, if it is recent.
    func address(of node: NodeID) -> PeerAddress? {
        addresses.withLock { addresses in
            guard let entry = addresses[node], ContinuousClock.now - entry.heard < lifetime else { return nil }
            return entry.address
        }
    }

    /// Every node heard recently.
    var nodes: [NodeID] { addresses.withLock { $0.filter { ContinuousClock.now - $0.value.heard < lifetime }.map(\.key) } }
}

enum Discovery {
    typealias Datagrams = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    /// Announces and listens until cancelled.
    static func run(
        _ options: DiscoveryOptions, port: Int, group: any EventLoopGroup, context: SyncContext, found: DiscoveredAddresses
    ) async throws {
        let groupAddress: SocketAddress
        let channel: Datagrams
        do {
            groupAddress = try SocketAddress(ipAddress: options.group.host, port: options.group.port)
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_REUSEPORT)), value: 1)
                // Each datagram's destination address and interface (IP_PKTINFO), for ``DiscoveryFilter``.
                .channelOption(.receivePacketInfo, value: true)
                .bind(host: "0.0.0.0", port: options.group.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try Datagrams(wrappingChannelSynchronously: channel) }
                }
        } catch {
            throw SyncError(.connection, "cannot use the discovery group \(options.group): \(error)")
        }
        context.logger.debug("discovery socket bound", metadata: ["group": "\(options.group)"])
        try await channel.executeThenClose { inbound, outbound in
            try await join(channel.channel, groupAddress, options)
            context.logger.debug("discovery group joined", metadata: ["group": "\(options.group)"])
            try await exchange(inbound, outbound, groupAddress: groupAddress, options, port: port, context: context, found: found)
        }
    }

    /// Joins the multicast group on the chosen interface, and sends there with a TTL of 1 (this link only).
    private static func join(_ channel: any Channel, _ groupAddress: SocketAddress, _ options: DiscoveryOptions) async throws {
        do {
            guard let multicast = channel as? any MulticastChannel, let socketOptions = channel as? any SocketOptionProvider else {
                throw SyncError(.connection, "this system cannot join multicast groups")
            }
            if let interface = options.interface {
                // Joined by hand: NIO's joinGroup(device:) refuses interfaces without the MULTICAST flag,
                // which loopback lacks, and tests must keep their traffic on loopback.
                var local = in_addr()
                var group = in_addr()
                guard inet_pton(AF_INET, interface, &local) == 1 else {
                    throw SyncError(.invalidAddress, "'\(interface)' is not an IPv4 address")
                }
                inet_pton(AF_INET, options.group.host, &group)
                try await socketOptions.unsafeSetSocketOption(
                    level: .ip, name: .ip_add_membership, value: ip_mreq(imr_multiaddr: group, imr_interface: local)
                ).get()
                try await socketOptions.setIPMulticastIF(local).get()
            } else {
                try await multicast.joinGroup(groupAddress, device: nil).get()
            }
            try await socketOptions.setIPMulticastTTL(1).get()
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.connection, "cannot join the discovery group \(options.group): \(error)")
        }
    }

    /// Announces every `interval` and records the trusted nodes heard, until cancelled.
    private static func exchange(
        _ inbound: NIOAsyncChannelInboundStream<AddressedEnvelope<ByteBuffer>>,
        _ outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>, groupAddress: SocketAddress,
        _ options: DiscoveryOptions, port: Int, context: SyncContext, found: DiscoveredAddresses
    ) async throws {
        context.logger.info("discovery on", metadata: ["group": "\(options.group)"])
        let me = context.keys.publicKey
        let replica = context.replica
        guard let filter = DiscoveryFilter(group: options.group.host) else {
            throw SyncError(
                .invalidAddress, "\(options.group.host) is not an IPv4 multicast group; use one in 239.255.0.0/16")
        }
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask {
                while !Task.isCancelled {
                    let datagram = Announcement(node: me, port: UInt16(clamping: port)).encoded
                    try? await outbound.write(AddressedEnvelope(remoteAddress: groupAddress, data: ByteBuffer(bytes: datagram)))
                    try await Task.sleep(for: .milliseconds(Int64(options.interval * 1000)))
                }
            }
            var links = InterfaceNetworks()
            for try await envelope in inbound {
                var data = envelope.data
                guard let host = envelope.remoteAddress.ipAddress,
                    let announcement = try? Announcement(decoding: data.readBytes(length: data.readableBytes) ?? [])
                else { continue }
                // Only what came to the group from this link: a unicast datagram, from anywhere, is ignored.
                let packet = envelope.metadata?.packetInfo
                let destination = packet?.destinationAddress.ipAddress
                guard filter.accepts(source: host, destination: destination, links: links.networks(of: packet?.interfaceIndex))
                else {
                    context.logger.debug(
                        "ignored an announcement not sent to the group from this link", metadata: ["from": "\(host)"])
                    continue
                }
                let known = (try? await context.worker.run { try replica.trust().trustedNodes }) ?? []
                guard let node = announcement.announcer(among: known), node != me else { continue }
                let address = PeerAddress(host: host, port: Int(announcement.port))
                if found.record(address, for: node) {
                    context.logger.info("discovered peer", metadata: ["node": "\(node.short)", "address": "\(address)"])
                }
            }
        }
    }
}
