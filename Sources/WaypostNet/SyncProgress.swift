public import WaypostCore

/// How far a sync has got, or how it ended: what `waypost sync` prints.
public struct SyncProgress: Sendable, Hashable {
    /// The other node.
    public var peer: NodeID
    /// Changes sent to it so far on this connection.
    public var sent = 0
    /// Changes it lacked when the connection opened (and any made since): what there is to send.
    public var toSend = 0
    /// Changes received from it so far.
    public var received = 0
    /// Changes this node lacked of the other's when the connection opened (and any it made since).
    public var toReceive = 0
    /// Of the changes received, how many were new here (the rest this node had already, by another path).
    public var applied = 0
    /// Batches received and committed.
    public var batchesReceived = 0
    /// Bytes this node wrote to the connection, frame lengths and handshake included.
    public var bytesSent = 0
    /// Bytes it read from the connection, frame lengths and handshake included.
    public var bytesReceived = 0
    /// Admin directives received and newly stored.
    public var directivesStored = 0
    /// Directives received from nodes that are not admins here: refused, neither stored nor passed on.
    public var directivesRefused = 0
    /// Changes received of revoked nodes, after their revocation's last accepted sequence: dropped.
    public var refusedBeyondRevocation = 0
    /// Records erased here by erase directives received.
    public var erasedRecords = 0
    /// Changes received to records erased here: their values were dropped, their digests kept.
    public var droppedForErasure = 0
    /// Changes received of origins this node does not trust, by origin: skipped (`Protocol/trust.md` §5.1).
    public var untrustedOrigins: [NodeID: Int] = [:]
    /// Origins whose run stopped at a change sent in digest form without an erasure here (§7.5 there).
    public var withheldValues = 0
    /// Changes neither applied nor held: too far ahead of their origin, or past the pending table's total.
    public var notHeld = 0
    /// Certificates received that cannot count here, or past the limits: not kept (§4.1 there).
    public var certificatesRefused = 0
    /// Whether both sides have said they are caught up.
    public var caughtUp = false

    /// Starts counting for a connection with `peer`.
    public init(peer: NodeID) { self.peer = peer }
}
