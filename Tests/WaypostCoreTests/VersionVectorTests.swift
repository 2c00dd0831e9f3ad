import Testing
import WaypostTesting

@testable import WaypostCore

@Suite struct VersionVectorTests {
    let one = Fixtures.node(1)
    let two = Fixtures.node(2)
    let three = Fixtures.node(3)

    @Test func originsNeverSeenReadAsZeroAndZerosAreDropped() {
        let vector = VersionVector([one: 3, two: 0])
        #expect(vector[one] == 3)
        #expect(vector[two] == 0)
        #expect(vector[three] == 0)
        #expect(vector.entries == [one: 3])
        #expect(vector == VersionVector([one: 3]))
    }

    @Test func aVectorContainsEveryDotUpToItsSequence() {
        let vector = VersionVector([one: 3])
        #expect(vector.contains(Dot(origin: one, sequence: 1)))
        #expect(vector.contains(Dot(origin: one, sequence: 3)))
        #expect(!vector.contains(Dot(origin: one, sequence: 4)))
        #expect(!vector.contains(Dot(origin: two, sequence: 1)))
    }

    @Test func advancingNeverGoesBackwards() {
        var vector = VersionVector()
        vector.advance(one, to: 5)
        vector.advance(one, to: 2)
        vector.advance(two, to: 0)
        #expect(vector == VersionVector([one: 5]))
    }

    @Test func mergingTakesThePointwiseMaximum() {
        let left = VersionVector([one: 5, two: 1])
        let right = VersionVector([two: 4, three: 2])
        #expect(left.merging(right) == VersionVector([one: 5, two: 4, three: 2]))
    }

    @Test(arguments: 0..<30 as Range<UInt64>)
    func mergingIsCommutativeAssociativeAndIdempotent(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let origins = [one, two, three]
        func draw() -> VersionVector {
            VersionVector(Dictionary(uniqueKeysWithValues: origins.map { ($0, UInt64(random.int(in: 0...6))) }))
        }
        let (a, b, c) = (draw(), draw(), draw())
        #expect(a.merging(b) == b.merging(a))
        #expect(a.merging(b).merging(c) == a.merging(b.merging(c)))
        #expect(a.merging(a) == a)
        #expect(a.merging(b).includes(a) && a.merging(b).includes(b))
        #expect(a.merging(b).count <= a.count + b.count)
    }

    @Test func includesComparesEveryOrigin() {
        let big = VersionVector([one: 3, two: 2])
        #expect(big.includes(VersionVector([one: 3])))
        #expect(big.includes(VersionVector()))
        #expect(!big.includes(VersionVector([one: 4])))
        #expect(!big.includes(VersionVector([three: 1])))
        #expect(!VersionVector([one: 1]).includes(big))
    }

    @Test func countAddsEverySequenceAndOriginsAreSorted() {
        let vector = VersionVector([three: 4, one: 2, two: 1])
        #expect(vector.count == 7)
        #expect(vector.origins == [one, two, three])
    }
}
