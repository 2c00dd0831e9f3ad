/// How many changes the `pending` table keeps (``PendingTable``): a change held is not verified (its
/// predecessors have not arrived), so any trusted sender could otherwise plant any number of them under
/// any trusted origin, kept forever and rewritten on every later apply.
///
/// A change is held only within ``window`` sequences after its origin's applied one, and the table never
/// grows past ``total`` rows: past either bound it is not kept and comes again with its predecessors
/// (this node's versions do not count it). `Protocol/replica.md` §9.3 states them.
public struct PendingLimits: Sendable, Hashable {
    /// How far ahead of an origin's applied sequence a change is held.
    public let window: UInt64
    /// The most changes held in all.
    public let total: Int

    /// Limits other than the standard ones, for tests.
    public init(window: UInt64, total: Int) {
        precondition(window > 0 && total > 0, "pending limits must be positive")
        self.window = window
        self.total = total
    }

    /// 131,072 sequences ahead; 1,048,576 changes in all (a few hundred megabytes at most).
    public static let standard = PendingLimits(window: 131_072, total: 1_048_576)
}
