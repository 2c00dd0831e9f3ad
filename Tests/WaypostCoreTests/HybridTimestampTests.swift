import Testing

@testable import WaypostCore

@Suite struct HybridTimestampTests {
    @Test func millisecondsAndCounterArePackedSoIntegerOrderIsTimestampOrder() {
        let timestamp = HybridTimestamp(milliseconds: 1_795_607_571_123, counter: 7)
        #expect(timestamp.rawValue == 1_795_607_571_123 << 16 | 7)
        #expect(timestamp.milliseconds == 1_795_607_571_123)
        #expect(timestamp.counter == 7)
        #expect(HybridTimestamp(milliseconds: 10, counter: 65_535) < HybridTimestamp(milliseconds: 11, counter: 0))
        #expect(HybridTimestamp(milliseconds: 10, counter: 1) < HybridTimestamp(milliseconds: 10, counter: 2))
    }

    @Test func theSuccessorOfAFullCounterIsTheNextMillisecond() {
        let full = HybridTimestamp(milliseconds: 10, counter: .max)
        #expect(full.successor == HybridTimestamp(milliseconds: 11, counter: 0))
    }

    @Test(arguments: [
        (UInt64(0), "1970-01-01T00:00:00.000Z"),
        (1_795_607_571_123, "2026-11-25T11:52:51.123Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (951_868_800_000, "2000-03-01T00:00:00.000Z"),
    ])
    func theDescriptionIsISO8601InUTC(milliseconds: UInt64, text: String) {
        #expect(HybridTimestamp(milliseconds: milliseconds, counter: 42).description == text)
    }
}
