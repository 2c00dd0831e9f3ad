import Foundation
public import Logging
import NIOCore
import NIOPosix
import WaypostCore
public import WaypostCrypto
public import WaypostStore
public import WaypostSync

/// `waypost serve`: listens for peers, dials every peer whose address it knows, and keeps every
/// connection in sync until it is cancelled (`Protocol/sync.md`).
///
/// Cancelling ``run(onListening:)`` (on SIGINT or SIGTERM) stops accepting, lets each session finish the
/// batch it is applying (each commits or rolls back whole), closes every connection and returns.
public struct SyncService: Sendable {
    /// The replica to keep in sync.
    public let replica: SQLiteReplica
    /// This node's identity.
    public let keys: SigningKeyPair
    /// Where to listen.
    public let listen: PeerAddress
    /// The bounds on every connection.
    public let limits: SyncLimits
    /// Where one line per connection, sync and failure goes; no personal data is logged.
    public let logger: Logger
    /// How often to look for peers added or readdressed while serving, in seconds.
    public var peerRefreshInterval: Double = 5
    /// Local network discovery, or nil (the default) for none.
    public var discovery: DiscoveryOptions? = nil
    /// The retention schedule to run while serving, or nil (the default) for none.
    public var retention: RetentionSchedule? = nil

    /// Makes a service.
    public init(replica: SQLiteReplica, keys: SigningKeyPair, listen: PeerAddress, limits: SyncLimits = .standard, logger: Logger) {
        self.replica = replica
        self.keys = keys
        self.listen = listen
        self.limits = limits
        self.logger = logger
    }

    /// Listens and dials until cancelled. `onListening` gets the bound address (the real port when
    /// `listen` asks for port 0).
    ///
    /// - Throws: ``SyncError`` `connection` if the address cannot be listened on.
    public func run(onListening: @Sendable (PeerAddress) -> Void = { _ in }) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let registry = SessionRegistry(local: keys.publicKey, limits: limits)
        let context = SyncContext(
            replica: replica, keys: keys, limits: limits, worker: ReplicaWorker(pool: pool), logger: logger, registry: registry)
        do {
            try await serve(group: group, context: context, onListening: onListening)
        } catch {
            try? await pool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await pool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }

    private func serve(
        group: MultiThreadedEventLoopGroup, context: SyncContext, onListening: @Sendable (PeerAddress) -> Void
    ) async throws {
        let limits = self.limits
        let server: NIOAsyncChannel<SyncPipeline.Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 64)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: listen.host, port: listen.port) { channel in
                    SyncPipeline.configure(channel, side: .responder, limits: limits)
                }
        } catch {
            throw SyncError(.connection, "cannot listen on \(listen): \(error)")
        }
        let bound = PeerAddress(host: listen.host, port: server.channel.localAddress?.port ?? listen.port)
        logger.info("listening", metadata: ["address": "\(bound)", "node": "\(keys.publicKey.short)"])
        onListening(bound)
        let logger = self.logger
        let discovered = DiscoveredAddresses()
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await dialPeers(group: group, context: context, discovered: discovered) }
            if let discovery {
                tasks.addTask {
                    try await Discovery.run(discovery, port: bound.port, group: group, context: context, found: discovered)
                }
            }
            if let retention {
                tasks.addTask { await retention.run(worker: context.worker, keys: context.keys, logger: logger) }
            }
            // The accept loop is a child too, so that any child's failure (discovery that cannot start)
            // cancels it and ends `serve` with that error.
            tasks.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            let remote = connection.channel.remoteAddress.map(Self.describe) ?? "unknown"
                            let channel = connection.channel
                            let (slot, evicted) = context.registry!.openConnection(
                                from: channel.remoteAddress?.ipAddress ?? remote, close: { channel.close(promise: nil) })
                            if let evicted {
                                logger.warning(
                                    "closed the oldest connection not yet accepted, to make room for a new one",
                                    metadata: ["address": "\(evicted)", "for": "\(remote)"])
                            }
                            guard let slot else {
                                logger.warning(
                                    "every connection slot holds an accepted peer; closed one", metadata: ["from": "\(remote)"])
                                connections.addTask { try? await connection.executeThenClose { _, _ in } }
                                continue
                            }
                            connections.addTask {
                                defer { context.registry!.closeConnection(slot) }
                                var session = SyncSession(
                                    context: context, side: .responder, mode: .live, address: remote)
                                session.slot = slot
                                await Self.runLogged(session, connection, logger: logger, direction: "from")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Keeps one dialler per peer with an address (given, or found by discovery), and starts diallers for
    /// peers added or found while serving.
    private func dialPeers(group: MultiThreadedEventLoopGroup, context: SyncContext, discovered: DiscoveredAddresses) async throws {
        let replica = self.replica
        let interval = discovery.map { min($0.interval, peerRefreshInterval) } ?? peerRefreshInterval
        let dialling = NodeSet()
        try await withThrowingDiscardingTaskGroup { diallers in
            while !Task.isCancelled {
                let peers = (try? await context.worker.run { try replica.peers() }) ?? []
                for node in Set(peers.filter { $0.address != nil }.map(\.node) + discovered.nodes) {
                    guard dialling.insert(node) else { continue }
                    diallers.addTask {
                        await Self.dial(node, group: group, context: context, discovered: discovered)
                        dialling.remove(node)
                    }
                }
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            }
        }
    }

    /// Dials one peer, again and again: after a failure with exponential backoff and jitter, after a
    /// connection that closed after a short pause. Returns when the node has no address any more (removed,
    /// or never given one and not found by discovery), or is revoked.
    private static func dial(
        _ node: NodeID, group: MultiThreadedEventLoopGroup, context: SyncContext, discovered: DiscoveredAddresses
    ) async {
        var backoff = Backoff(initial: 1, maximum: 60)
        var choice = DialAddressChoice()
        var generator = SystemRandomNumberGenerator()
        let replica = context.replica
        while !Task.isCancelled {
            // A revoked peer is not dialled: it learns nothing, not even this node's address (trust.md §7.4).
            if (try? await context.worker.run({ try replica.isRevoked(node) })) == true { return }
            let peer = (try? await context.worker.run({ try replica.peers() }))?.first { $0.node == node }
            // The stored address while it works; a discovered one when there is none, or it failed.
            let stored = peer?.address
            let found = discovered.address(of: node)?.description
            guard let text = choice.next(stored: stored, discovered: found) else { return }
            let name = peer?.name ?? node.short
            if context.registry?.isConnected(node) == true {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let logger = context.logger
            do {
                let address = try PeerAddress(parsing: text)
                let connection = try await connect(to: address, group: group, limits: context.limits)
                let session = SyncSession(context: context, side: .initiator(expected: node), mode: .live, address: text)
                let handshakeDone = await runLogged(session, connection, logger: logger, direction: "to", name: name)
                if handshakeDone { backoff.succeeded() }
                choice.record(text, stored: stored, reached: handshakeDone)
            } catch {
                logger.info("cannot reach peer", metadata: ["peer": "\(name)", "address": "\(text)", "error": "\(error)"])
                choice.record(text, stored: stored, reached: false)
            }
            let wait = backoff.failed(using: &generator)
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }

    /// Opens a TCP connection with the sync pipeline.
    static func connect(to address: PeerAddress, group: any EventLoopGroup, limits: SyncLimits) async throws -> SyncPipeline.Connection {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: address.host, port: address.port) { channel in
                    SyncPipeline.configure(channel, side: .initiator, limits: limits)
                }
        } catch {
            throw SyncError(.connection, "cannot connect to \(address): \(error)")
        }
    }

    /// Runs a session and logs how it went, in one line. Returns whether the handshake succeeded.
    @discardableResult
    static func runLogged(
        _ session: SyncSession, _ connection: SyncPipeline.Connection, logger: Logger, direction: String, name: String? = nil
    ) async -> Bool {
        var metadata: Logger.Metadata = ["address": "\(session.address)"]
        if let name { metadata["peer"] = "\(name)" }
        do {
            let progress = try await session.run(connection)
            metadata["node"] = "\(progress.peer.short)"
            metadata["sent"] = "\(progress.sent)"
            metadata["received"] = "\(progress.received)"
            logger.info("connection \(direction) peer closed", metadata: metadata)
            return true
        } catch is CancellationError {
            logger.info("connection \(direction) peer stopped", metadata: metadata)
            return true
        } catch let error as SyncError {
            metadata["error"] = "\(error.message)"
            logger.warning("connection \(direction) peer failed", metadata: metadata)
            return error.code != .connection && error.code != .untrusted && error.code != .wrongPeer
                && error.code != .sameNode && error.code != .malformed && error.code != .unsupportedVersion && error.code != .timeout
        } catch {
            metadata["error"] = "\(error)"
            logger.warning("connection \(direction) peer failed", metadata: metadata)
            return false
        }
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return PeerAddress(host: ip, port: port).description
    }
}
