/// How concurrent changes to a field merge.
public enum FieldKind: String, Sendable, Hashable, CaseIterable {
    /// One value. Concurrent writes are all kept (a multi-value register); every node shows the same
    /// winner (latest timestamp, then origin, then sequence) and lists the others as a conflict.
    case register
    /// An add-wins observed-remove set: a remove takes away only the adds it had seen.
    case set
    /// Append-only entries from every node, ordered by timestamp.
    case log
    /// Increments and decrements from every node add up.
    case counter
    /// A keyed map of sub-records whose own fields are registers, merged one by one.
    case entries
}
