import Testing
import WaypostTesting

@testable import WaypostCore

@Suite struct HybridClockTests {
    let wall = Fixtures.baseMilliseconds
    let fiveMinutes = HybridClock.maximumForwardDrift

    @Test func theDriftAllowanceIsFiveMinutes() {
        #expect(HybridClock.maximumForwardDrift == 300_000)
    }

    @Test func aTickAfterTheWallClockMovesOnReadsTheWallClock() {
        var clock = HybridClock()
        let first = clock.tick(wallMilliseconds: wall)
        #expect(first == HybridTimestamp(milliseconds: wall))
        let second = clock.tick(wallMilliseconds: wall + 7)
        #expect(second == HybridTimestamp(milliseconds: wall + 7))
        #expect(clock.latest == HybridTimestamp(milliseconds: wall + 7))
    }

    @Test func ticksWithinOneMillisecondCountUp() {
        var clock = HybridClock()
        let first = clock.tick(wallMilliseconds: wall)
        let second = clock.tick(wallMilliseconds: wall)
        let third = clock.tick(wallMilliseconds: wall)
        #expect([first.counter, second.counter, third.counter] == [0, 1, 2])
        #expect(Set([first.milliseconds, second.milliseconds, third.milliseconds]) == [wall])
    }

    @Test func theClockNeverRunsBackwardsWhenTheWallClockDoes() {
        var clock = HybridClock()
        let before = clock.tick(wallMilliseconds: wall)
        let after = clock.tick(wallMilliseconds: wall - 60_000)
        #expect(after > before)
        #expect(after == before.successor)
    }

    @Test(arguments: 0..<20 as Range<UInt64>)
    func ticksStrictlyIncreaseWhateverTheWallClockDoes(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var clock = HybridClock()
        var now = wall
        var previous = HybridTimestamp(rawValue: 0)
        for _ in 0..<500 {
            switch random.int(in: 0...9) {
            case 0: now -= UInt64(random.int(in: 0...90_000))  // the wall clock is set back
            case 1:
                let remote = HybridTimestamp(milliseconds: now + UInt64(random.int(in: 0...600_000)))
                clock.observe(remote, wallMilliseconds: now)
            default: now += UInt64(random.int(in: 0...3))
            }
            let next = clock.tick(wallMilliseconds: now)
            #expect(next > previous)
            #expect(next.milliseconds >= now, "a tick is never behind the wall clock")
            previous = next
        }
    }

    @Test func aRemoteTimestampWithinFiveMinutesIsAdopted() {
        var clock = HybridClock()
        _ = clock.tick(wallMilliseconds: wall)
        let remote = HybridTimestamp(milliseconds: wall + fiveMinutes - 1, counter: 3)
        let adopted = clock.observe(remote, wallMilliseconds: wall)
        #expect(adopted)
        #expect(clock.latest == remote)
        let next = clock.tick(wallMilliseconds: wall + 1)
        #expect(next == remote.successor)
    }

    @Test func aRemoteTimestampExactlyFiveMinutesAheadIsAdopted() {
        var clock = HybridClock()
        let remote = HybridTimestamp(milliseconds: wall + fiveMinutes, counter: 65_535)
        let adopted = clock.observe(remote, wallMilliseconds: wall)
        #expect(adopted)
        #expect(clock.latest == remote)
    }

    @Test func aRemoteTimestampMoreThanFiveMinutesAheadIsNotAdopted() {
        var clock = HybridClock()
        let own = clock.tick(wallMilliseconds: wall)
        let remote = HybridTimestamp(milliseconds: wall + fiveMinutes + 1)
        let adopted = clock.observe(remote, wallMilliseconds: wall)
        #expect(!adopted)
        #expect(clock.latest == own)
        let next = clock.tick(wallMilliseconds: wall + 1)
        #expect(next < remote)
        #expect(next == HybridTimestamp(milliseconds: wall + 1))
    }

    @Test func aRemoteTimestampAYearAheadIsNotAdopted() {
        var clock = HybridClock()
        let remote = HybridTimestamp(milliseconds: wall + 365 * 24 * 3_600_000)
        let adopted = clock.observe(remote, wallMilliseconds: wall)
        #expect(!adopted)
        #expect(clock.latest == HybridTimestamp(rawValue: 0))
    }

    @Test func anOlderRemoteTimestampLeavesTheClockWhereItIs() {
        var clock = HybridClock()
        let own = clock.tick(wallMilliseconds: wall)
        let adopted = clock.observe(HybridTimestamp(milliseconds: wall - 10_000), wallMilliseconds: wall)
        #expect(adopted)
        #expect(clock.latest == own)
    }

    @Test func isAheadComparesMillisecondsWithTheAllowance() {
        #expect(
            !HybridClock.isAhead(
                HybridTimestamp(milliseconds: wall + fiveMinutes, counter: 9), ofWallMilliseconds: wall))
        #expect(HybridClock.isAhead(HybridTimestamp(milliseconds: wall + fiveMinutes + 1), ofWallMilliseconds: wall))
        #expect(!HybridClock.isAhead(HybridTimestamp(milliseconds: 0), ofWallMilliseconds: wall))
    }

    @Test func aClockResumesAfterItsLatestTimestamp() {
        let saved = HybridTimestamp(milliseconds: wall + 50_000, counter: 2)
        var clock = HybridClock(latest: saved)
        let next = clock.tick(wallMilliseconds: wall)
        #expect(next == saved.successor)
    }
}
