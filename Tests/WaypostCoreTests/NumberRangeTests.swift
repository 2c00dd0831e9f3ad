import Testing

@testable import WaypostCore

/// The range of the numbers read from files and the wire (`Protocol/bundle.md` §2, "Numbers"):
/// sequence numbers 1 to 2^63 - 1, version vectors whose entries add up to at most 2^63 - 1, and sums
/// of a vector's entries that never trap (issue 15, "Crash at will").
@Suite struct NumberRangeTests {
    let one = Fixtures.node(1)
    let two = Fixtures.node(2)
    let three = Fixtures.node(3)

    static let largest = Dot.maximumSequence
    /// Values past the range, up to 2^64 - 1.
    static let outOfRange: [UInt64] = [1 << 63, (1 << 63) + 1, (1 << 63) + 5, .max - 1, .max]

    @Test func theLargestSequenceNumberIsWhatSQLiteHolds() {
        #expect(Dot.maximumSequence == UInt64(Int64.max))
        #expect(Dot.maximumSequence == (UInt64(1) << 63) - 1)
    }

    @Test func sequenceNumbersFromOneToTheLargestAreAccepted() throws {
        for sequence in [1, 2, 1 << 32, Self.largest - 1, Self.largest] as [UInt64] {
            try Dot.check(sequence: sequence, of: "a change")
        }
    }

    @Test(arguments: [0] + outOfRange)
    func otherSequenceNumbersAreOutOfRange(sequence: UInt64) {
        let error = #expect(throws: CoreError.self) { try Dot.check(sequence: sequence, of: "a change of node X") }
        #expect(error?.code == .outOfRange)
        #expect(error?.message.hasPrefix("a change of node X has sequence number \(sequence)") == true)
    }

    @Test func aCheckedVectorTakesEntriesUpToTheLargest() throws {
        #expect(try VersionVector(checking: [one: Self.largest]) == VersionVector([one: Self.largest]))
        #expect(try VersionVector(checking: [one: Self.largest - 1, two: 1]).count == Self.largest)
        #expect(try VersionVector(checking: [one: 3, two: 0]) == VersionVector([one: 3]))
        #expect(try VersionVector(checking: [:]) == VersionVector())
    }

    @Test(arguments: outOfRange)
    func aCheckedVectorRefusesAnEntryPastTheLargest(sequence: UInt64) {
        // The attack of an entry of 2^63 + 5.
        let error = #expect(throws: CoreError.self) { try VersionVector(checking: [one: 1, two: sequence]) }
        #expect(error?.code == .outOfRange)
        #expect(error?.message.contains("\(sequence)") == true)
    }

    @Test func aCheckedVectorRefusesEntriesThatAddUpPastTheLargest() {
        // The attack of two entries of 2^63, and entries each in range whose total is not.
        for entries in [
            [one: 1 << 63, two: 1 << 63], [one: 1 << 62, two: 1 << 62], [one: Self.largest, two: 1],
            [one: Self.largest, two: Self.largest, three: Self.largest],
        ] as [[NodeID: UInt64]] {
            let error = #expect(throws: CoreError.self) { try VersionVector(checking: entries) }
            #expect(error?.code == .outOfRange, "\(entries)")
        }
    }

    @Test func countsOfAnyVectorSaturateRatherThanTrap() {
        // A vector made without checking (from the store, say) can hold entries that add up past 2^64.
        let huge = VersionVector([one: 1 << 63, two: 1 << 63, three: .max])
        #expect(huge.count == .max)
        #expect(huge.missing(from: VersionVector()) == .max)
        #expect(huge.missing(from: huge) == 0)
        #expect(VersionVector().missing(from: huge) == 0)
        #expect(huge.missing(from: VersionVector([one: 1 << 63, two: 1 << 63])) == .max)
        let small = VersionVector([one: 5, two: 3])
        #expect(small.count == 8)
        #expect(small.missing(from: VersionVector([one: 2, three: 9])) == 6)
        #expect(VersionVector([one: .max]).count == .max)
        #expect(VersionVector([one: .max - 1, two: 1]).count == .max)
    }

    @Test func aChangesNumbersAreChecked() throws {
        func change(_ sequence: UInt64, supersedes: [Dot] = []) -> Change {
            Change(
                dot: Dot(origin: one, sequence: sequence), timestamp: HybridTimestamp(rawValue: 1),
                collection: .caseFile,
                record: Fixtures.caseRecord, field: "given_name",
                operation: .assign(value: "Amina", supersedes: supersedes))
        }
        try change(Self.largest, supersedes: [Dot(origin: two, sequence: Self.largest)]).checkNumbers()
        try change(Self.largest).validate(against: Fixtures.schema)
        for sequence in [0] + Self.outOfRange {
            #expect(throws: CoreError.self) { try change(sequence).checkNumbers() }
            #expect(throws: CoreError.self) { try change(sequence).validate(against: Fixtures.schema) }
            let superseding = change(
                4, supersedes: [Dot(origin: two, sequence: 1), Dot(origin: two, sequence: sequence)])
            let error = #expect(throws: CoreError.self) { try superseding.validate(against: Fixtures.schema) }
            #expect(error?.code == .outOfRange)
        }
    }
}
