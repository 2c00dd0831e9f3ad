/// A hybrid logical clock timestamp (Kulkarni et al., "Logical Physical Clocks", 2014): 48 bits of
/// milliseconds since the Unix epoch and a 16-bit logical counter, packed in one `UInt64` so that
/// integer order is timestamp order.
///
/// Timestamps never decide what overwrites what (causality does, through dots); they order log
/// entries and pick which of several concurrent values is shown first.
public struct HybridTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The packed value: `milliseconds << 16 | counter`.
    public let rawValue: UInt64

    /// Wraps a packed value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Packs milliseconds and a logical counter.
    public init(milliseconds: UInt64, counter: UInt16 = 0) {
        self.rawValue = (milliseconds << 16) | UInt64(counter)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: UInt64 { rawValue >> 16 }

    /// The logical counter that orders events within one millisecond.
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// The smallest timestamp after this one.
    public var successor: HybridTimestamp { HybridTimestamp(rawValue: rawValue &+ 1) }

    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }

    /// ISO 8601 UTC with milliseconds, for example `2026-11-25T11:52:51.123Z`.
    public var description: String { CivilTime(milliseconds: milliseconds).iso8601 }
}

/// Converts milliseconds since the epoch to a UTC calendar date and time, without Foundation.
///
/// Uses Howard Hinnant's days-from-civil algorithm (http://howardhinnant.github.io/date_algorithms.html).
struct CivilTime {
    let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int

    init(milliseconds: UInt64) {
        let totalSeconds = Int(milliseconds / 1000)
        millisecond = Int(milliseconds % 1000)
        let days = totalSeconds / 86_400
        let secondsOfDay = totalSeconds % 86_400
        hour = secondsOfDay / 3600
        minute = (secondsOfDay % 3600) / 60
        second = secondsOfDay % 60
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    var iso8601: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + "\(pad(millisecond, 3))Z"
    }
}
