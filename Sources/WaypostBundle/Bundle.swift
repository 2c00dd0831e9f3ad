public import WaypostCore
public import WaypostTrust

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
    /// The changes (each origin's in ascending sequence order), their record keys and signatures.
    public let batch: ChangeBatch
    /// Membership certificates the sender holds, passed on so that the receiver can trust enrolled nodes.
    public let certificates: [Certificate]
    /// Admin directives the sender holds (revocations, erasures), passed on so that they reach every node.
    public let directives: [Directive]

    /// Makes a bundle.
    public init(
        sender: NodeID, createdAt: UInt64, senderVersions: VersionVector, batch: ChangeBatch, certificates: [Certificate] = [],
        directives: [Directive] = []
    ) {
        self.sender = sender
        self.createdAt = createdAt
        self.senderVersions = senderVersions
        self.batch = batch
        self.certificates = certificates
        self.directives = directives
    }

    /// The changes.
    public var changes: [Change] { batch.changes }

    /// The frame format version this code writes and reads (inside a ``SealedBundle``).
    public static let formatVersion: UInt16 = 2

    /// The eight bytes every bundle starts with: `WAYPOSTB`.
    public static let magic: [UInt8] = Array("WAYPOSTB".utf8)
}
