public import WaypostCore

/// What applying a batch of changes did.
public struct ApplyReport: Sendable, Hashable {
    /// Changes that were new and are now in the replica.
    public var applied = 0
    /// Changes the replica already had.
    public var duplicates = 0
    /// Changes held back because an earlier change of their origin is missing (or they follow its last
    /// signature), by origin, with the sequence number the replica needs next. They wait in the
    /// replica and are applied when a bundle brings what they need.
    public var heldBack: [NodeID: (expected: UInt64, count: Int)] = [:]
    /// Changes held from earlier bundles that failed verification once their predecessors arrived,
    /// and were dropped.
    public var discarded = 0
    /// Origins whose changes carry timestamps more than five minutes ahead of this node's clock.
    public var originsAhead: Set<NodeID> = []
    /// Admin directives newly stored (a directive already held is not counted again).
    public var directivesStored = 0
    /// Directives refused because their issuer is not an admin here (or is revoked): neither stored
    /// nor passed on.
    public var directivesRefused = 0
    /// The issuers of the refused directives.
    public var refusedIssuers: Set<NodeID> = []
    /// Nodes this batch's directives newly revoked.
    public var revoked: Set<NodeID> = []
    /// Changes of revoked origins beyond their last accepted sequence: refused and dropped, while the
    /// other changes of the batch were applied.
    public var refusedBeyondRevocation = 0

    /// Records this batch's erase directives erased here.
    public var erasedRecords = 0
    /// Changes to records erased here that arrived (from a node that had not heard of the erasure, or in
    /// an old bundle): their values were dropped on arrival, only their digests kept for the chain.
    public var droppedForErasure = 0
    /// Origins whose run stopped at a change sent in digest form for a record not erased here: a relay
    /// withheld its value. The change waits, with those after it, for the valued copy or an erasure.
    public var withheldValues = 0
    /// Changes that could not be applied yet and were not held either: beyond the window after their
    /// origin's applied sequence, or past the table's total (``PendingLimits``). They come again later.
    public var notHeld = 0

    /// Changes skipped because their origin is not trusted here, by origin: not applied, not held. The
    /// sender is trusted (else the whole batch is refused); the rest of the batch applied.
    public var untrustedOrigins: [NodeID: Int] = [:]

    /// Certificates received and not kept: they could not count here (a network not joined, an issuer
    /// that may not issue) or were past the limits (``WaypostTrust/CertificateAdmission``).
    public var certificatesRefused = 0

    /// An empty report.
    public init() {}

    public static func == (lhs: ApplyReport, rhs: ApplyReport) -> Bool {
        lhs.applied == rhs.applied && lhs.duplicates == rhs.duplicates && lhs.discarded == rhs.discarded
            && lhs.originsAhead == rhs.originsAhead
            && lhs.directivesStored == rhs.directivesStored && lhs.directivesRefused == rhs.directivesRefused
            && lhs.refusedIssuers == rhs.refusedIssuers && lhs.revoked == rhs.revoked
            && lhs.refusedBeyondRevocation == rhs.refusedBeyondRevocation
            && lhs.erasedRecords == rhs.erasedRecords && lhs.droppedForErasure == rhs.droppedForErasure
            && lhs.withheldValues == rhs.withheldValues && lhs.notHeld == rhs.notHeld
            && lhs.untrustedOrigins == rhs.untrustedOrigins && lhs.certificatesRefused == rhs.certificatesRefused
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
