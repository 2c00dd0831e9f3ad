/// Changes as they travel between nodes: each with, where its origin first writes to a record, the
/// record key that its values' digests are keyed with, and the origins' signatures over their hash
/// chains at some of the changes (always at each origin's last one).
///
/// `Protocol/trust.md` specifies the chain, the record keys and what is signed.
public struct ChangeBatch: Sendable, Hashable {
    /// The changes, each origin's in ascending sequence order.
    public var changes: [Change]
    /// The record key a change introduces: present on the first change of an origin to a record.
    public var recordKeys: [Dot: [UInt8]]
    /// The origin's signature over its chain head at a change.
    public var signatures: [Dot: [UInt8]]
    /// For a change whose value was erased (its record erased by an admin): the 32-byte digest that stands
    /// for the value in its origin's chain. Such a change's argument is empty and means nothing.
    public var erasedDigests: [Dot: [UInt8]]

    /// A batch.
    public init(
        changes: [Change] = [], recordKeys: [Dot: [UInt8]] = [:], signatures: [Dot: [UInt8]] = [:],
        erasedDigests: [Dot: [UInt8]] = [:]
    ) {
        self.changes = changes
        self.recordKeys = recordKeys
        self.signatures = signatures
        self.erasedDigests = erasedDigests
    }
}
