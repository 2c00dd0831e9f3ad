/// A node's hybrid logical clock: it never runs backwards, and it moves forward past the timestamps of
/// changes it receives, so a change made after seeing another gets a later timestamp.
///
/// It does not follow a remote timestamp that is more than ``maximumForwardDrift`` ahead of this node's
/// wall clock: a peer whose clock is a year fast must not drag every node's clock a year ahead. Such
/// changes are still merged (causality, not time, decides what overwrites what); `waypost status`
/// warns about the peer.
public struct HybridClock: Sendable, Hashable {
    /// The latest timestamp this clock has issued or adopted.
    public private(set) var latest: HybridTimestamp

    /// How far ahead of the wall clock a remote timestamp may be and still be adopted: five minutes.
    public static let maximumForwardDrift: UInt64 = 5 * 60 * 1000

    /// A clock that has issued nothing after `latest`.
    public init(latest: HybridTimestamp = HybridTimestamp(rawValue: 0)) {
        self.latest = latest
    }

    /// Issues a timestamp for a local change made at `wallMilliseconds`.
    public mutating func tick(wallMilliseconds: UInt64) -> HybridTimestamp {
        let wall = HybridTimestamp(milliseconds: wallMilliseconds)
        latest = max(wall, latest.successor)
        return latest
    }

    /// Moves the clock past a remote timestamp, unless that timestamp is too far ahead of the wall clock.
    ///
    /// - Returns: false when the remote timestamp runs more than ``maximumForwardDrift`` ahead and was
    ///   not adopted.
    @discardableResult
    public mutating func observe(_ remote: HybridTimestamp, wallMilliseconds: UInt64) -> Bool {
        if HybridClock.isAhead(remote, ofWallMilliseconds: wallMilliseconds) { return false }
        latest = max(latest, remote)
        return true
    }

    /// Whether a timestamp runs more than ``maximumForwardDrift`` ahead of a wall clock reading.
    public static func isAhead(_ timestamp: HybridTimestamp, ofWallMilliseconds wall: UInt64) -> Bool {
        timestamp.milliseconds > wall &+ maximumForwardDrift
    }
}
