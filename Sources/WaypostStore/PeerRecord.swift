public import WaypostCore
public import WaypostTrust

/// A node this one exchanges changes with, as the `peers` table records it.
public struct PeerRecord: Sendable, Hashable {
    /// The local name an admin gave it (`waypost peer add NAME NODE-ID`).
    public let name: String
    /// Its node id.
    public let node: NodeID
    /// When it was added, milliseconds since the Unix epoch.
    public let addedAt: UInt64
    /// When a bundle from it was last imported.
    public let lastImportAt: UInt64?
    /// When a bundle for it was last exported.
    public let lastExportAt: UInt64?
    /// What it had seen when it last sent us a bundle.
    public let seen: VersionVector
    /// The role it was trusted with pairwise (`peer add --admin` makes it an admin).
    public let role: Role
    /// Where it listens, `HOST:PORT`, if an admin said (`peer add --address`); `serve` dials it there.
    public let address: String?
}
