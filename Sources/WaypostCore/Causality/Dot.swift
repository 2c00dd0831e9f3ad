/// The unique name of one change: the node that made it and that node's sequence number for it.
///
/// Sequence numbers start at 1 and have no gaps, so "everything a node has seen from an origin" is a
/// single number (see ``VersionVector``).
public struct Dot: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node that made the change.
    public let origin: NodeID
    /// The origin's sequence number for this change, from 1.
    public let sequence: UInt64

    /// Names change number `sequence` of `origin`.
    public init(origin: NodeID, sequence: UInt64) {
        self.origin = origin
        self.sequence = sequence
    }

    /// Orders by origin, then sequence.
    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        lhs.origin != rhs.origin ? lhs.origin < rhs.origin : lhs.sequence < rhs.sequence
    }

    public var description: String { "\(origin.short):\(sequence)" }
}
