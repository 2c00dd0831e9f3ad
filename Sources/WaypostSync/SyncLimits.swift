/// The bounds a node holds every connection to, so that a peer that sends nothing, sends garbage, or
/// opens many sockets costs little (`Protocol/sync.md` §6).
public struct SyncLimits: Sendable, Hashable {
    /// Seconds from accepting a socket to the end of the handshake.
    public var handshakeTimeout: Double
    /// Seconds without any message before a connection is dropped. Idle peers send a keepalive at a
    /// third of it.
    public var idleTimeout: Double
    /// The largest frame, in bytes, either side may send.
    public var maximumFrame: Int
    /// The most connections open at once; further sockets are closed at once.
    public var maximumConnections: Int
    /// The most changes a batch holds (a batch may run past it to the next signature of the origin, at
    /// most 1,023 more, so the receiver can verify the whole batch).
    public var changesPerBatch: Int
    /// Batches sent and not yet acknowledged.
    public var window: Int

    /// Makes limits.
    public init(
        handshakeTimeout: Double = 10, idleTimeout: Double = 60, maximumFrame: Int = 4 << 20, maximumConnections: Int = 64,
        changesPerBatch: Int = 4000, window: Int = 4
    ) {
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maximumFrame = maximumFrame
        self.maximumConnections = maximumConnections
        self.changesPerBatch = changesPerBatch
        self.window = window
    }

    /// The defaults `serve` and `sync` use.
    public static let standard = SyncLimits()
}
