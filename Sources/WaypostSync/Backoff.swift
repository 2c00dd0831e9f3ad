/// How long to wait before dialling an unreachable peer again: exponential, capped, with jitter (each wait
/// is drawn uniformly between a tenth of the current bound and the bound), so that nodes that lost a link
/// at the same moment do not all retry in step.
public struct Backoff: Sendable, Hashable {
    /// The first bound, in seconds.
    public let initial: Double
    /// The largest bound, in seconds.
    public let maximum: Double
    /// Failures since the last success.
    public private(set) var failures = 0

    /// Makes a backoff that starts at `initial` seconds and doubles up to `maximum`.
    public init(initial: Double = 1, maximum: Double = 60) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The current bound: `initial × 2^(failures − 1)`, at most `maximum`; zero before any failure.
    public var bound: Double {
        guard failures > 0 else { return 0 }
        return min(maximum, initial * Double(1 << min(failures - 1, 30)))
    }

    /// Records a failure and returns how long to wait, drawn with `generator`.
    public mutating func failed(using generator: inout some RandomNumberGenerator) -> Double {
        failures += 1
        // At least a tenth of the bound, so that a busy loop is impossible even with an unlucky draw.
        return Double.random(in: (bound / 10)...bound, using: &generator)
    }

    /// Records a success: the next failure starts from `initial` again.
    public mutating func succeeded() { failures = 0 }
}
