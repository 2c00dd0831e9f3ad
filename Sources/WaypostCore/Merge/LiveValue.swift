/// A value that is currently part of a field's state: a register value not yet overwritten, a set
/// element's add not yet removed, a counter increment, or a log entry.
public struct LiveValue: Sendable, Hashable {
    /// The change that wrote it.
    public let dot: Dot
    /// When it was written, on its origin's clock.
    public let timestamp: HybridTimestamp
    /// The value, element, amount or entry, as canonical text.
    public let value: String

    /// Makes a live value.
    public init(dot: Dot, timestamp: HybridTimestamp, value: String) {
        self.dot = dot
        self.timestamp = timestamp
        self.value = value
    }

    /// The order in which concurrent values are shown: latest timestamp first, then the larger origin,
    /// then the larger sequence. Every node computes the same order from the same values.
    public static func showsBefore(_ lhs: LiveValue, _ rhs: LiveValue) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp > rhs.timestamp }
        return rhs.dot < lhs.dot
    }

    /// The order of log entries: earliest timestamp first, ties by dot.
    public static func logOrder(_ lhs: LiveValue, _ rhs: LiveValue) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.dot < rhs.dot
    }
}
