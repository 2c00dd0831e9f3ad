/// What happened to one change offered to a replica.
public enum ApplyOutcome: Sendable, Hashable {
    /// It was new and is now part of the replica.
    case applied
    /// The replica already had it; nothing changed.
    case duplicate
    /// An earlier change of the same origin is missing (`expected` is the sequence number the replica
    /// needs next); nothing changed. Changes of one origin are applied in order with no gaps.
    case missingPredecessor(expected: UInt64)
}
