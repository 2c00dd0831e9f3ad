import Testing
import WaypostTesting

@testable import WaypostCore

/// Property tests for the merge rules: whatever the partitions, the delivery order, the repeats and
/// the clocks, replicas that end up with the same changes show the same bytes, and what they show is
/// what causality says it should be.
@Suite struct ReplicaModelPropertyTests {
    /// Replicas that edit through partitions and then exchange everything converge, byte for byte.
    @Test(arguments: 0..<300 as Range<UInt64>)
    func replicasConvergeOnceEveryPartitionHeals(seed: UInt64) throws {
        var simulation = Simulation(seed: seed)
        try simulation.run(steps: 50)
        simulation.healAndDeliverEverything()

        let reference = ReplicaModel.applying(simulation.made.sorted { $0.dot < $1.dot })
        let export = reference.canonicalExport
        let records = reference.records
        let views = records.map { reference.jsonText($0) }
        #expect(!simulation.made.isEmpty)
        for node in simulation.nodes {
            #expect(node.model.versions == reference.versions)
            #expect(node.model.records == records)
            // Byte for byte: String's == would call canonically equivalent texts equal.
            #expect(node.model.canonicalExport.utf8.elementsEqual(export.utf8))
            #expect(records.map { node.model.jsonText($0) }.sameBytes(as: views))
        }
        expectCausalState(reference, made: simulation.made, contexts: simulation.contexts)
        expectRendering(reference, made: simulation.made)
    }

    /// One fixed set of changes, applied to fresh replicas in many orders (each origin's changes in
    /// sequence, origins interleaved at random), with repeats and early offers, gives one state.
    @Test(arguments: 0..<16 as Range<UInt64>)
    func applyOrderAndRepeatsDoNotChangeTheState(seed: UInt64) throws {
        var simulation = Simulation(seed: seed &+ 1_000_000)
        try simulation.run(steps: 70)
        let changes = simulation.made
        let reference = ReplicaModel.applying(changes.sorted { $0.dot < $1.dot })
        let export = reference.canonicalExport
        let views = reference.records.map { reference.jsonText($0) }

        var random = SplitMix64(seed: seed)
        for _ in 0..<8 {
            var model = ReplicaModel()
            var applied = 0
            for change in Self.shuffledDelivery(of: changes, using: &random) where model.apply(change) == .applied {
                applied += 1
            }
            #expect(applied == changes.count)
            #expect(model.versions == reference.versions)
            #expect(model.canonicalExport.utf8.elementsEqual(export.utf8))
            #expect(model.records.map { model.jsonText($0) }.sameBytes(as: views))
        }
    }

    /// Applying everything a second time changes nothing and reports every change as a duplicate.
    @Test(arguments: 0..<10 as Range<UInt64>)
    func applyingEverythingAgainChangesNothing(seed: UInt64) throws {
        var simulation = Simulation(seed: seed &+ 2_000_000)
        try simulation.run(steps: 60)
        let changes = simulation.made.sorted { $0.dot < $1.dot }
        var model = ReplicaModel.applying(changes)
        let export = model.canonicalExport
        #expect(changes.allSatisfy { model.apply($0) == .duplicate })
        #expect(model.canonicalExport.utf8.elementsEqual(export.utf8))
    }

    /// Merging is associative: a replica that got half the changes through one peer and the rest
    /// through another equals one that got them all directly.
    @Test(arguments: 0..<12 as Range<UInt64>)
    func mergingThroughIntermediateReplicasMatchesDirectDelivery(seed: UInt64) throws {
        var simulation = Simulation(seed: seed &+ 3_000_000)
        try simulation.run(steps: 60)
        let changes = simulation.made.sorted { $0.dot < $1.dot }
        var random = SplitMix64(seed: seed)
        // Split each origin's changes at a random point: the prefix goes to one peer, the rest to another.
        var cuts: [NodeID: UInt64] = [:]
        for origin in Set(changes.map(\.dot.origin)).sorted() {
            cuts[origin] = UInt64(random.int(in: 0...changes.filter { $0.dot.origin == origin }.count))
        }
        let early = ReplicaModel.applying(changes.filter { $0.dot.sequence <= cuts[$0.dot.origin]! })
        var late = early
        late.apply(all: changes.filter { $0.dot.sequence > cuts[$0.dot.origin]! })
        var merged = ReplicaModel()
        merged.apply(all: late.changes(after: VersionVector()))
        #expect(merged.canonicalExport.utf8.elementsEqual(ReplicaModel.applying(changes).canonicalExport.utf8))
        #expect(
            early.changes(after: VersionVector()).count + late.changes(after: early.versions).count == changes.count)
    }

    /// A failing seed is only useful if it replays: the same seed makes the same changes.
    @Test func aSimulationReplaysFromItsSeed() throws {
        var first = Simulation(seed: 42)
        var second = Simulation(seed: 42)
        try first.run(steps: 50)
        try second.run(steps: 50)
        #expect(!first.made.isEmpty)
        #expect(first.made == second.made)
        var random = (SplitMix64(seed: 5), SplitMix64(seed: 5))
        #expect(
            Self.shuffledDelivery(of: first.made, using: &random.0)
                == Self.shuffledDelivery(of: first.made, using: &random.1))
    }

    /// SplitMix64's first output from seed 0, as the reference implementation gives it.
    @Test func theGeneratorMatchesTheReferenceSplitMix64() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
    }

    // MARK: Helpers

    /// Each origin's changes in order, origins interleaved at random; some changes offered again later
    /// and some offered before their predecessor (which the replica must refuse).
    static func shuffledDelivery(of changes: [Change], using random: inout SplitMix64) -> [Change] {
        // Sorted before shuffling: a Dictionary's order differs from run to run, and the seed must replay.
        var queues = Dictionary(grouping: changes, by: \.dot.origin).sorted { $0.key < $1.key }.map {
            $0.value.sorted { $0.dot < $1.dot }
        }
        queues.shuffle(using: &random)
        var order: [Change] = []
        while let queue = queues.indices.filter({ !queues[$0].isEmpty }).randomElement(using: &random) {
            if queues[queue].count > 1 && random.chance(0.1) {
                order.append(queues[queue][random.int(in: 1...(queues[queue].count - 1))])
            }
            order.append(queues[queue].removeFirst())
            if random.chance(0.15) { order.append(random.pick(order)) }
        }
        return order
    }

    /// Checks every field's live values against the changes' causal pasts, without using the
    /// `supersedes` lists the model works from:
    /// - a register write is live unless another write to the field had seen it;
    /// - a set add is live unless a remove of the same element at the field had seen it;
    /// - every counter increment and log entry is live.
    func expectCausalState(_ model: ReplicaModel, made: [Change], contexts: [Dot: VersionVector]) {
        for (address, changes) in Dictionary(grouping: made, by: \.address) {
            let expected: [Dot]
            switch changes[0].operation.fieldKind {
            case .register:
                expected = changes.filter { write in
                    !changes.contains { other in other.dot != write.dot && contexts[other.dot]!.contains(write.dot) }
                }.map(\.dot)
            case .set:
                expected = changes.filter { add in
                    guard case .insert(let element) = add.operation else { return false }
                    return !changes.contains { other in
                        guard case .remove(element, _) = other.operation else { return false }
                        return contexts[other.dot]!.contains(add.dot)
                    }
                }.map(\.dot)
            case .counter, .log, .entries:
                expected = changes.map(\.dot)
            }
            #expect(
                model.liveValues(at: address).map(\.dot).sorted() == expected.sorted(),
                "live values at \(address.field) of \(address.record)")
        }
    }

    /// Checks what each record shows against the changes made: counters add up every increment, logs
    /// hold every entry by time, the shown register value is the latest (then largest dot), conflicts
    /// are exactly the registers with more than one live value.
    func expectRendering(_ model: ReplicaModel, made: [Change]) {
        for key in model.records {
            let view = model.view(key.collection, key.record, schema: Fixtures.schema)
            let ofRecord = made.filter { $0.record == key.record && $0.collection == key.collection }
            var conflicted: [String] = []
            for (name, value) in view.fields {
                let ofField = ofRecord.filter { $0.field == name }
                switch value {
                case .counter(let total):
                    #expect(total == ofField.reduce(0) { $0 + Int64($1.operation.argument)! })
                case .log(let entries):
                    let byTime = ofField.sorted { ($0.timestamp, $0.dot) < ($1.timestamp, $1.dot) }
                    #expect(entries.map(\.dot) == byTime.map(\.dot))
                case .register(let values):
                    #expect(values.first == values.max { ($0.timestamp, $0.dot) < ($1.timestamp, $1.dot) })
                    if values.count > 1 { conflicted.append(name) }
                case .set(let elements):
                    let live = model.liveValues(
                        at: FieldAddress(collection: key.collection, record: key.record, field: name))
                    #expect(elements == Set(live.map(\.value)).sorted())
                case .entries(let map):
                    for (entry, members) in map {
                        for (member, values) in members {
                            #expect(values.first == values.max { ($0.timestamp, $0.dot) < ($1.timestamp, $1.dot) })
                            if values.count > 1 { conflicted.append("\(name).\(entry.text).\(member)") }
                        }
                    }
                }
            }
            #expect(view.conflicts.map(\.field) == conflicted.sorted())
        }
    }
}

extension ReplicaModel {
    /// A fresh replica that applied `changes` in order.
    static func applying(_ changes: [Change]) -> ReplicaModel {
        var model = ReplicaModel()
        model.apply(all: changes)
        return model
    }

    /// Applies changes in order, expecting each to be new.
    mutating func apply(all changes: [Change]) {
        for change in changes { #expect(apply(change) == .applied) }
    }

    /// A record's canonical JSON text, as `case show --json` prints it.
    func jsonText(_ key: FieldAddress.RecordKey) -> String {
        view(key.collection, key.record, schema: Fixtures.schema).json(schema: Fixtures.schema).canonical
    }
}

extension [String] {
    /// Whether both lists hold the same texts, compared as UTF-8 bytes rather than as Strings.
    func sameBytes(as other: [String]) -> Bool {
        count == other.count && zip(self, other).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }
}
