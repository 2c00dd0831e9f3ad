public import WaypostCore

/// A node this one has met over the network (`waypost serve` or `waypost sync`), as the `contacts` table
/// records it: whether or not an admin named it a peer.
public struct Contact: Sendable, Hashable {
    /// The node.
    public let node: NodeID
    /// The address of its last connection (where it was dialled, or where it connected from).
    public let lastAddress: String?
    /// When a handshake with it last succeeded, milliseconds since the Unix epoch.
    public let lastSeenAt: UInt64?
    /// When a sync with it last caught up both ways.
    public let lastSyncedAt: UInt64?
    /// What it had seen, as of the last message it sent.
    public let versions: VersionVector
}
