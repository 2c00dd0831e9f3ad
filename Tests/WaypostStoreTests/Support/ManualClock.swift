import Synchronization

/// A wall clock that moves only when a test moves it, so that timestamps are predictable.
///
/// `Sendable` through the `Mutex` around its reading.
final class ManualClock: Sendable {
    private let now: Mutex<UInt64>

    /// A clock that reads `milliseconds` until moved.
    init(_ milliseconds: UInt64 = StoreFixtures.baseMilliseconds) {
        now = Mutex(milliseconds)
    }

    /// The current reading, in milliseconds since the epoch.
    func read() -> UInt64 { now.withLock { $0 } }

    /// Moves the clock forward (or back, with a negative amount).
    func advance(by milliseconds: Int64) {
        now.withLock { $0 = UInt64(max(0, Int64($0) + milliseconds)) }
    }

    /// Sets the reading.
    func set(_ milliseconds: UInt64) {
        now.withLock { $0 = milliseconds }
    }

    /// The clock as `SQLiteReplica` takes it.
    var wallClock: @Sendable () -> UInt64 { { [self] in self.read() } }
}
