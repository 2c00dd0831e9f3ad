import Testing
import WaypostTesting

@testable import WaypostCore
@testable import WaypostStore

/// A record's state document (`Protocol/replica.md` §9.3): its rules for values arriving and being
/// overwritten, and its encoding, which must give back exactly what was written and refuse anything else.
@Suite struct RecordStateTests {
    typealias StoredDot = RecordState.StoredDot
    typealias StoredValue = RecordState.StoredValue

    @Test func aDotOverwrittenBeforeItArrivesIsNotLiveWhenItDoes() {
        var state = RecordState()
        let early = StoredDot(origin: 2, sequence: 7)
        state.supersede(early, field: "given_name")
        state.arrive(StoredValue(dot: early, timestamp: 5, value: "Amina"), field: "given_name")
        #expect(state.live["given_name"] == nil)
        #expect(state.isEmpty, "the mark is spent once its dot has arrived")
        // The same dot at another field is another value.
        state.supersede(early, field: "family_name")
        state.arrive(StoredValue(dot: early, timestamp: 5, value: "Amina"), field: "given_name")
        #expect(state.live["given_name"]?.count == 1)
    }

    @Test func liveValuesStayInDotOrderAndLeaveWhenOverwritten() {
        var state = RecordState()
        for (origin, sequence) in [(3, 1), (1, 9), (1, 2), (2, 4)] {
            state.arrive(
                StoredValue(dot: StoredDot(origin: Int64(origin), sequence: UInt64(sequence)), timestamp: 1, value: "v"),
                field: "languages")
        }
        #expect(state.live["languages"]?.map(\.dot) == [
            StoredDot(origin: 1, sequence: 2), StoredDot(origin: 1, sequence: 9), StoredDot(origin: 2, sequence: 4),
            StoredDot(origin: 3, sequence: 1),
        ])
        state.removeLive(StoredDot(origin: 1, sequence: 9), field: "languages")
        state.removeLive(StoredDot(origin: 1, sequence: 9), field: "languages")
        #expect(state.live["languages"]?.count == 3)
        for dot in state.live["languages"]!.map(\.dot) { state.removeLive(dot, field: "languages") }
        #expect(state.isEmpty)
    }

    /// Random states, encoded and decoded, come back equal; cut short or followed by a stray byte, they
    /// are refused as damaged.
    @Test(arguments: 0..<40 as Range<UInt64>)
    func anEncodedStateDecodesToItselfAndNothingElseDecodes(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var state = RecordState()
        let fields = ["given_name", "languages", "notes", "household.k1.sex", "status"]
        for _ in 0..<Int(random.next() % 12) {
            let field = fields[Int(random.next() % UInt64(fields.count))]
            let dot = StoredDot(origin: Int64(random.next() % 5) + 1, sequence: random.next() % 1_000_000)
            if random.next() % 4 == 0 {
                state.supersede(dot, field: field)
            } else {
                let value = String(repeating: "é", count: Int(random.next() % 40))
                state.arrive(StoredValue(dot: dot, timestamp: random.next() >> 1, value: value), field: field)
            }
        }
        for field in fields where random.next() % 2 == 0 {
            state.shown.entries[field] = ShownDocument.Entry(value: .text("shown \(field)"), conflicts: Int(random.next() % 3))
        }
        let bytes = state.encoded()
        let decoded = try RecordState(decoding: bytes)
        #expect(decoded.live == state.live)
        #expect(decoded.superseded == state.superseded)
        #expect(decoded.shown.entries == state.shown.entries)
        #expect(decoded.encoded() == bytes)

        let cut = Int(random.next() % UInt64(bytes.count))
        if cut > 0 {
            let shortened = try? RecordState(decoding: Array(bytes[..<cut]))
            // A document cut right after its shown values is a valid older one; any other cut is refused.
            if let shortened { #expect(shortened.isEmpty && shortened.shown.entries == state.shown.entries) }
        }
        let error = #expect(throws: StoreError.self) { try RecordState(decoding: bytes + [0]) }
        #expect(error?.code == .damaged)
    }
}
