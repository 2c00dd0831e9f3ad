/// For each origin, the highest sequence number seen; since every origin's changes are received in
/// order with no gaps, this is everything seen from that origin.
public struct VersionVector: Sendable, Hashable {
    /// The highest sequence number seen from each origin; origins never seen are absent.
    public private(set) var entries: [NodeID: UInt64]

    /// An empty vector, or one with the given entries (zeros are dropped).
    public init(_ entries: [NodeID: UInt64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// A vector read from a file or the wire, its numbers checked: every entry at most
    /// ``Dot/maximumSequence`` (zeros are dropped, as by ``init(_:)``), and all of them adding up to at
    /// most ``Dot/maximumSequence`` too, so that a count of changes made from one vector, or from the
    /// difference of two, always fits (`Protocol/bundle.md` §2, "Numbers").
    ///
    /// - Throws: ``CoreError`` `outOfRange`, naming the entry that is too large or the total.
    public init(checking entries: [NodeID: UInt64]) throws(CoreError) {
        var total: UInt64 = 0
        for (origin, sequence) in entries where sequence > 0 {
            try Dot.check(sequence: sequence, of: "the version vector's entry for node \(origin.short)")
            let (sum, overflow) = total.addingReportingOverflow(sequence)
            guard !overflow, sum <= Dot.maximumSequence else {
                throw CoreError(
                    .outOfRange,
                    "the version vector's entries add up to more than 2^63 - 1 changes; the data is damaged or forged")
            }
            total = sum
        }
        self.init(entries)
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

    /// The total number of changes in this vector, or `UInt64.max` if that does not fit (a vector made
    /// with ``init(checking:)`` always fits).
    public var count: UInt64 { missing(from: VersionVector()) }

    /// How many of the changes in this vector the holder of `seen` lacks (for each origin, how far this
    /// vector is ahead of `seen`, added up), or `UInt64.max` if that does not fit.
    public func missing(from seen: VersionVector) -> UInt64 {
        var total: UInt64 = 0
        for (origin, sequence) in entries where sequence > seen[origin] {
            let (sum, overflow) = total.addingReportingOverflow(sequence - seen[origin])
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// The origins, in a deterministic order.
    public var origins: [NodeID] { entries.keys.sorted() }
}
