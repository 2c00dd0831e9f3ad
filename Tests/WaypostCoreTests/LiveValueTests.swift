import Testing

@testable import WaypostCore

@Suite struct LiveValueTests {
    let one = Fixtures.node(1)
    let two = Fixtures.node(2)

    func value(_ origin: NodeID, _ sequence: UInt64, at milliseconds: UInt64) -> LiveValue {
        LiveValue(dot: Dot(origin: origin, sequence: sequence), timestamp: Fixtures.time(milliseconds), value: "v")
    }

    @Test func theLatestTimestampShowsFirst() {
        #expect(LiveValue.showsBefore(value(one, 1, at: 5), value(two, 9, at: 4)))
        #expect(!LiveValue.showsBefore(value(two, 9, at: 4), value(one, 1, at: 5)))
    }

    @Test func equalTimestampsShowTheLargerOriginThenTheLargerSequence() {
        #expect(LiveValue.showsBefore(value(two, 1, at: 5), value(one, 9, at: 5)))
        #expect(LiveValue.showsBefore(value(one, 3, at: 5), value(one, 2, at: 5)))
        #expect(!LiveValue.showsBefore(value(one, 2, at: 5), value(one, 2, at: 5)))
    }

    @Test func logOrderIsEarliestFirstThenByDot() {
        let values = [value(two, 1, at: 5), value(one, 2, at: 9), value(one, 1, at: 5), value(two, 2, at: 1)]
        #expect(
            values.sorted(by: LiveValue.logOrder).map(\.dot) == [
                Dot(origin: two, sequence: 2), Dot(origin: one, sequence: 1), Dot(origin: two, sequence: 1),
                Dot(origin: one, sequence: 2),
            ])
    }

    @Test func dotsOrderByOriginThenSequence() {
        #expect(Dot(origin: one, sequence: 9) < Dot(origin: two, sequence: 1))
        #expect(Dot(origin: one, sequence: 1) < Dot(origin: one, sequence: 2))
        #expect(Dot(origin: one, sequence: 4).description == "\(one.short):4")
    }
}
