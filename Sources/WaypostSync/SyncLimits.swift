/// The bounds a node holds every connection to, so that a peer that sends nothing, sends garbage, or
/// opens many sockets costs little (`Protocol/sync.md` §6).
public struct SyncLimits: Sendable, Hashable {
    /// The largest frame, in bytes, either side takes before it has accepted the other: the handshake's
    /// messages, and `accept` or `refuse` (`Protocol/sync.md` §1). Fixed by the protocol.
    public static let handshakeFrame = 512

    /// Seconds from accepting or dialling a socket to the end of the handshake (`accept` sent or
    /// received): all the time a node that has not proven itself may hold a connection.
    public var handshakeTimeout: Double
    /// Seconds without any message before a connection is dropped. Idle peers send a keepalive at a
    /// third of it.
    public var idleTimeout: Double
    /// The largest frame, in bytes, either side may send once the other side is accepted.
    public var maximumFrame: Int
    /// The most connections accepted and open at once. When all are taken, a new socket takes the place
    /// of the oldest one whose peer is not yet accepted; if every one holds an accepted peer, the new
    /// socket is closed at once.
    public var maximumConnections: Int
    /// The most connections from one IP address whose peer is not yet accepted; a new one from that
    /// address takes the place of its oldest.
    public var unauthenticatedPerAddress: Int
    /// The most frames a connection holds received and not yet taken by its session; beyond it the node
    /// stops reading from that socket until the session catches up (TCP then slows the sender).
    public var bufferedFrames: Int
    /// The most changes a batch holds (a batch may run past it to the next signature of the origin, at
    /// most 1,023 more, so the receiver can verify the whole batch).
    public var changesPerBatch: Int
    /// Batches sent and not yet acknowledged.
    public var window: Int

    /// Makes limits.
    public init(
        handshakeTimeout: Double = 5, idleTimeout: Double = 60, maximumFrame: Int = 4 << 20,
        maximumConnections: Int = 64,
        unauthenticatedPerAddress: Int = 4, bufferedFrames: Int = 2, changesPerBatch: Int = 4000, window: Int = 4
    ) {
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maximumFrame = maximumFrame
        self.maximumConnections = maximumConnections
        self.unauthenticatedPerAddress = unauthenticatedPerAddress
        self.bufferedFrames = bufferedFrames
        self.changesPerBatch = changesPerBatch
        self.window = window
    }

    /// The defaults `serve` and `sync` use.
    public static let standard = SyncLimits()
}
