public import WaypostCore

/// What `audit verify` found when it recomputed every origin's hash chain from its first change
/// (``SQLiteReplica/auditChains()``).
public struct ChainAudit: Sendable, Hashable {
    /// One origin's chain.
    public struct Origin: Sendable, Hashable {
        /// The origin.
        public let node: NodeID
        /// How many of its changes the replica holds.
        public let changes: Int
        /// How many signatures were checked along the way.
        public let signatures: Int
        /// The first break, if any.
        public let problem: Problem?
    }

    /// Where an origin's chain breaks, and how.
    public struct Problem: Sendable, Hashable {
        /// The sequence number of the first change that does not verify.
        public let sequence: UInt64
        /// What is wrong, for a person.
        public let reason: String
    }

    /// Every origin, in node id order.
    public let origins: [Origin]

    /// Whether every chain verified.
    public var isIntact: Bool { origins.allSatisfy { $0.problem == nil } }
}
