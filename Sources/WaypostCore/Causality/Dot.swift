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

    /// The largest sequence number a change can have: 2^63 − 1, the largest value of SQLite's INTEGER
    /// (a signed 64-bit integer, https://sqlite.org/datatype3.html), in which a replica stores it.
    ///
    /// A reader refuses a larger one as malformed when it decodes it, though a varint can carry up to
    /// 2^64 − 1 (`Protocol/bundle.md` §2, "Numbers").
    public static let maximumSequence = UInt64(Int64.max)

    /// Checks a sequence number read from a file or the wire: 1 to ``maximumSequence``.
    ///
    /// - Parameter what: what the number is, for the message ("change", "a superseded dot").
    /// - Throws: ``CoreError`` `outOfRange` for 0 or a number past ``maximumSequence``.
    public static func check(sequence: UInt64, of what: @autoclosure () -> String) throws(CoreError) {
        guard sequence >= 1 else { throw CoreError(.outOfRange, "\(what()) has sequence number 0; they start at 1") }
        guard sequence <= maximumSequence else {
            throw CoreError(
                .outOfRange,
                "\(what()) has sequence number \(sequence), past the largest a replica holds (2^63 - 1); "
                    + "the data is damaged or forged")
        }
    }
}
