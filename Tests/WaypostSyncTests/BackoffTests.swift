import Testing
import WaypostSync
import WaypostTesting

/// The wait before dialling an unreachable peer again: doubling, capped, jittered, reset by a success.
@Suite struct BackoffTests {
    @Test func theBoundDoublesAndStopsAtTheMaximum() {
        var backoff = Backoff(initial: 1, maximum: 60)
        var generator = SplitMix64(seed: 1)
        #expect(backoff.bound == 0 && backoff.failures == 0)
        var bounds: [Double] = []
        for _ in 0..<10 {
            _ = backoff.failed(using: &generator)
            bounds.append(backoff.bound)
        }
        #expect(bounds == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60])
        #expect(backoff.failures == 10)
    }

    @Test func manyFailuresNeitherOverflowNorPassTheMaximum() {
        var backoff = Backoff(initial: 0.5, maximum: 300)
        var generator = SplitMix64(seed: 2)
        for _ in 0..<200 { _ = backoff.failed(using: &generator) }
        #expect(backoff.bound == 300)
        let wait = backoff.failed(using: &generator)
        #expect(wait >= 30 && wait <= 300)
    }

    @Test func everyWaitIsBetweenATenthOfTheBoundAndTheBound() {
        for seed in UInt64(1)...20 {
            var backoff = Backoff()
            var generator = SplitMix64(seed: seed)
            for failure in 1...12 {
                let wait = backoff.failed(using: &generator)
                let bound = backoff.bound
                #expect(wait >= bound / 10 && wait <= bound, "seed \(seed), failure \(failure): \(wait) of \(bound)")
                #expect(wait > 0)
            }
        }
    }

    @Test func aSuccessStartsOverFromTheInitialBound() {
        var backoff = Backoff(initial: 2, maximum: 60)
        var generator = SplitMix64(seed: 3)
        for _ in 0..<8 { _ = backoff.failed(using: &generator) }
        #expect(backoff.bound == 60)
        backoff.succeeded()
        #expect(backoff.failures == 0 && backoff.bound == 0)
        let wait = backoff.failed(using: &generator)
        #expect(backoff.bound == 2)
        #expect(wait <= 2 && wait >= 0.2)
    }

    @Test func waitsAreJittered() {
        // At the same bound, draws differ: nodes cut off together do not all dial again in step.
        var generator = SplitMix64(seed: 4)
        var waits: Set<Double> = []
        for _ in 0..<50 {
            var backoff = Backoff(initial: 1, maximum: 60)
            for _ in 0..<5 { _ = backoff.failed(using: &generator) }
            waits.insert(backoff.failed(using: &generator))
            #expect(backoff.bound == 32)
        }
        #expect(waits.count > 40)
        #expect(waits.min()! < 12 && waits.max()! > 24)
        // Two nodes with differently seeded generators draw differently from the first failure on.
        var first = Backoff()
        var second = Backoff()
        var one = SplitMix64(seed: 10)
        var other = SplitMix64(seed: 11)
        #expect(first.failed(using: &one) != second.failed(using: &other))
    }
}
