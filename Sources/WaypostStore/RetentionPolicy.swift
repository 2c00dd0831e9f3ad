import WaypostCrypto
/// How long this node keeps a closed case before it erases it (`waypost retention set case --closed-for
/// DAYS`; `Protocol/replica.md` §11).
///
/// The policy is this node's own setting, kept in the replica's `meta` table under
/// ``metaKey``; it is not synced. What it erases is: each erasure is an erase directive signed by this
/// node, which travels like any other and takes effect on every node that takes this node for an admin.
public struct RetentionPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The `meta` key the policy is stored under; its value is the number of days, an integer.
    public static let metaKey = "retention.case.closed_for_days"

    /// The `meta` key of the policy's tag (``tag(days:key:)``).
    public static let tagKey = "retention.case.tag"

    /// BLAKE2b-256 keyed with the storage key over `waypost/retention/v1`, a zero byte and the number of days
    /// (8 bytes, big-endian): proof that the node's owner set the policy, checked before anything is erased.
    static func tag(days: Int, key: StorageKey) -> [UInt8] {
        var message = Array("waypost/retention/v1".utf8) + [0]
        withUnsafeBytes(of: UInt64(days).bigEndian) { message += $0 }
        return key.bytes.withUnsafeBytes { Blake2b.hash(message, outputLength: 32, key: Array($0)) }
    }

    /// The longest period accepted, in days (about a hundred years): enough for any legal retention
    /// period, small enough that the arithmetic on milliseconds cannot overflow.
    public static let maximumDays = 36_500

    /// A day in milliseconds. Days are 24 hours of elapsed time, not calendar days.
    public static let dayMilliseconds: UInt64 = 86_400_000

    /// A case whose status has been `closed` for more than this many days is due for erasure.
    public let closedForDays: Int

    /// Makes a policy.
    ///
    /// - Throws: ``StoreError`` `invalid` unless `closedForDays` is from 1 to ``maximumDays``.
    public init(closedForDays: Int) throws(StoreError) {
        guard (1...Self.maximumDays).contains(closedForDays) else {
            throw StoreError(
                .invalid,
                "a retention period must be from 1 to \(Self.maximumDays) days, not \(closedForDays); give --closed-for DAYS"
            )
        }
        self.closedForDays = closedForDays
    }

    /// The field whose value `closed` starts the retention period.
    static let statusField = "status"

    /// How the reason of every erase directive issued under a policy begins.
    public static let reasonPrefix = "retention: "

    /// The reason every erase directive issued under this policy carries.
    public var erasureReason: String { Self.reasonPrefix + "closed for more than \(closedForDays) days" }

    /// The latest time, in milliseconds since the epoch, a case's status may have been set to `closed`
    /// for the case to be due at `now`: `now` less the period (0 when `now` is earlier than that).
    public func cutoff(now: UInt64) -> UInt64 {
        let period = UInt64(closedForDays) * Self.dayMilliseconds
        return now > period ? now - period : 0
    }

    /// `closed for more than N days`.
    public var description: String { "closed for more than \(closedForDays) days" }
}
