public import WaypostCore

/// A set of changes carried from one node to another, in a file or (later) over the network.
///
/// The byte format is specified in `Protocol/bundle.md`; ``BundleWriter`` writes it and
/// ``BundleReader`` reads it.
public struct Bundle: Sendable, Hashable {
    /// The node that wrote the bundle.
    public let sender: NodeID
    /// When it was written, milliseconds since the Unix epoch on the sender's clock.
    public let createdAt: UInt64
    /// Everything the sender had seen when it wrote the bundle, so the receiver learns what the
    /// sender lacks.
    public let senderVersions: VersionVector
    /// The changes, each origin's in ascending sequence order.
    public let changes: [Change]

    /// Makes a bundle.
    public init(sender: NodeID, createdAt: UInt64, senderVersions: VersionVector, changes: [Change]) {
        self.sender = sender
        self.createdAt = createdAt
        self.senderVersions = senderVersions
        self.changes = changes
    }

    /// The bundle format version this code writes and the newest it reads.
    public static let formatVersion: UInt16 = 1

    /// The eight bytes every bundle starts with: `WAYPOSTB`.
    public static let magic: [UInt8] = Array("WAYPOSTB".utf8)
}
