/// For each origin, the highest sequence number seen; since every origin's changes are received in
/// order with no gaps, this is everything seen from that origin.
public struct VersionVector: Sendable, Hashable {
    /// The highest sequence number seen from each origin; origins never seen are absent.
    public private(set) var entries: [NodeID: UInt64]

    /// An empty vector, or one with the given entries (zeros are dropped).
    public init(_ entries: [NodeID: UInt64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The highest sequence number seen from `origin`, 0 if none.
    public subscript(origin: NodeID) -> UInt64 {
        entries[origin] ?? 0
    }

    /// Whether the change named by `dot` is included.
    public func contains(_ dot: Dot) -> Bool {
        self[dot.origin] >= dot.sequence
    }

    /// Records that everything up to `sequence` from `origin` is seen.
    public mutating func advance(_ origin: NodeID, to sequence: UInt64) {
        if sequence > self[origin] { entries[origin] = sequence }
    }

    /// The pointwise maximum of two vectors.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        for (origin, sequence) in other.entries { result.advance(origin, to: sequence) }
        return result
    }

    /// Whether every change in `other` is in this vector too.
    public func includes(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The total number of changes in this vector.
    public var count: UInt64 { entries.values.reduce(0, +) }

    /// The origins, in a deterministic order.
    public var origins: [NodeID] { entries.keys.sorted() }
}
