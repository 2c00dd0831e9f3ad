public import WaypostCore

/// What applying a batch of changes did.
public struct ApplyReport: Sendable, Hashable {
    /// Changes that were new and are now in the replica.
    public var applied = 0
    /// Changes the replica already had.
    public var duplicates = 0
    /// Changes held back because an earlier change of their origin is missing, by origin, with the
    /// sequence number the replica needs next. Nothing of theirs was applied; the bundle that carries
    /// the missing ones will bring them.
    public var heldBack: [NodeID: (expected: UInt64, count: Int)] = [:]
    /// Origins whose changes carry timestamps more than five minutes ahead of this node's clock.
    public var originsAhead: Set<NodeID> = []

    /// An empty report.
    public init() {}

    public static func == (lhs: ApplyReport, rhs: ApplyReport) -> Bool {
        lhs.applied == rhs.applied && lhs.duplicates == rhs.duplicates && lhs.originsAhead == rhs.originsAhead
            && lhs.heldBack.mapValues { [$0.expected, UInt64($0.count)] }
                == rhs.heldBack.mapValues { [$0.expected, UInt64($0.count)] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(applied)
        hasher.combine(duplicates)
    }

    /// The number of changes held back.
    public var heldBackCount: Int { heldBack.values.reduce(0) { $0 + $1.count } }
}
