import Foundation
import Testing
import WaypostTesting
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// One node of a ``ReplicaNetwork``: a `SQLiteReplica` on disk and a ``WaypostCore/ReplicaModel``
/// shadow that receives every change the replica applies.
struct ShadowedNode {
    let keys: SigningKeyPair
    var id: NodeID { keys.publicKey }
    let path: String
    let replica: SQLiteReplica
    let clock: ManualClock
    /// How far this node's wall clock runs ahead of true time (negative: behind).
    var skew: Int64
    var model = ReplicaModel()
    /// The shadow's `pending` table: changes received before their predecessors or after their origin's
    /// last signature in reach, by origin and sequence, with whether they came with a signature.
    var held: [NodeID: [UInt64: (change: Change, signed: Bool)]] = [:]
    /// The latest timestamp this node gave one of its own changes.
    var lastLocalTimestamp = HybridTimestamp(rawValue: 0)
}

/// A seeded run of three nodes that trust each other, each with a SQLite replica and a model shadow,
/// making random signed local edits and exchanging signed batches in random orders, with repeats, gaps
/// and partial deliveries.
///
/// The store keeps what it cannot apply yet (a change whose predecessor is missing, or one after the
/// last signature it has), and applies it when what it needs arrives; the shadow keeps the same in
/// ``ShadowedNode/held`` and gives its model exactly the changes the store may apply: each origin's
/// contiguous run up to its last signed change.
///
/// After every delivery the receiving replica must hold exactly its model's state and keep exactly
/// the shadow's held changes, and every local write must make exactly the operations the merge rules
/// predict; at the end, after everything has been exchanged, every replica must show the same bytes.
struct ReplicaNetwork {
    var random: SplitMix64
    var nodes: [ShadowedNode] = []
    /// True time; each node's clock reads it through its skew.
    var time = StoreFixtures.baseMilliseconds
    /// How many local writes were refused as invalid (removing an element that is not there).
    var refusedWrites = 0
    /// How many changes were held back because of a gap or a missing signature.
    var heldBack = 0
    /// How many held changes were applied later, when a delivery brought what they needed.
    var released = 0
    /// How many changes were offered again.
    var duplicates = 0
    let schema = StoreFixtures.schema
    let entryKeys = ["amina222", "yusuf333"]

    init(seed: UInt64, directory: URL) throws {
        random = SplitMix64(seed: seed)
        let keys = (0..<3).map { _ in StoreFixtures.keys(using: &random) }.sorted { $0.publicKey < $1.publicKey }
        let fast = random.chance(0.25) ? random.int(in: 0...2) : -1
        for (index, keys) in keys.enumerated() {
            let skew = index == fast ? Int64(StoreFixtures.year) : Int64(random.int(in: -2_000...2_000))
            let clock = ManualClock(UInt64(Int64(time) + skew))
            let path = directory.replicaPath("node\(index)")
            let replica = try SQLiteReplica.create(
                at: path, localNode: keys.publicKey, name: "node\(index)", storageKey: StorageKey(derivedFrom: keys),
                wallClock: clock.wallClock)
            try replica.skipDurableCommits()
            nodes.append(ShadowedNode(keys: keys, path: path, replica: replica, clock: clock, skew: skew))
        }
        try StoreFixtures.trustEachOther(nodes.map(\.replica))
    }

    // MARK: Running

    /// Runs `steps` random steps: local writes, partial exchanges, clocks moving.
    mutating func run(steps: Int) throws {
        for _ in 0..<steps {
            time += random.chance(0.3) ? 0 : UInt64(random.int(in: 1...3_000))
            for index in nodes.indices { nodes[index].clock.set(UInt64(max(0, Int64(time) + nodes[index].skew))) }
            switch random.int(in: 0...99) {
            case 0..<50: try writeAtRandom()
            case 50..<95: try exchangeAtRandom()
            default:
                let index = random.int(in: 0...2)
                nodes[index].skew -= Int64(random.int(in: 1_000...60_000))
            }
        }
    }

    /// Lets every node pull everything from every other node, in a random order of pairs. Each node
    /// pulls directly from every origin, so one round leaves nothing missing, which is checked.
    mutating func exchangeEverything() throws {
        var pairs: [(Int, Int)] = []
        for from in nodes.indices {
            for to in nodes.indices where from != to { pairs.append((from, to)) }
        }
        pairs.shuffle(using: &random)
        for (from, to) in pairs {
            let offered = try nodes[from].replica.changes(after: nodes[to].replica.versions())
            try expectVerifiable(offered, from: from)
            try deliver(offered, from: from, to: to)
        }
        for (from, to) in pairs {
            #expect(try nodes[from].replica.changes(after: nodes[to].replica.versions()).changes.isEmpty)
        }
        for node in nodes {
            #expect(node.held.values.allSatisfy { $0.isEmpty })
            #expect(try pendingCounts(node.replica).isEmpty)
        }
    }

    // MARK: Local writes

    mutating func writeAtRandom() throws {
        let index = random.int(in: 0...2)
        let records = nodes[index].model.records
        if records.isEmpty || random.chance(0.12) {
            try createAtRandom(by: index)
        } else {
            try updateAtRandom(by: index, random.pick(records))
        }
    }

    mutating func createAtRandom(by index: Int) throws {
        let collection: RecordCollection = random.chance(0.65) ? .caseFile : .service
        var texts: [String] = []
        if collection == .caseFile {
            texts.append("given_name=" + random.pick(["Amina", "Yusuf", "Leila"]))
            if random.chance(0.3) { texts.append("status=" + random.pick(["Closed", "transferred"])) }
            if random.chance(0.3) { texts.append("languages+=" + random.pick(["ar", "fr"])) }
        } else {
            texts.append("name=" + random.pick(["Night shelter", "Clinic on Main St"]))
            if random.chance(0.3) { texts.append("capacity_total=" + String(random.int(in: 0...40))) }
        }
        let edits = try texts.map { text throws(CoreError) in try Edit(parsing: text, in: schema[collection]) }
        let id = RecordID.random(using: &random)
        let before = nodes[index].model.versions[nodes[index].id]
        let (created, changes) = try nodes[index].replica.create(
            collection, edits: edits, id: id, signer: nodes[index].keys)
        #expect(created == id)
        // Every given edit, plus the collection's default status when none was given.
        let givesStatus = texts.contains { $0.hasPrefix("status=") }
        #expect(changes.count == edits.count + (givesStatus ? 0 : 1))
        try takeLocal(changes, by: index, after: before)
        let status = nodes[index].model.liveValues(
            at: FieldAddress(collection: collection, record: id, field: "status")
        ).map(\.value)
        #expect(status.count == 1)
        if !givesStatus { #expect(status == [collection == .caseFile ? "open" : "active"]) }
    }

    mutating func updateAtRandom(by index: Int, _ key: FieldAddress.RecordKey) throws {
        // One household entry per batch: a node that does not hold it yet adds it, as 'case entry' does
        // (an edit of an entry the record lacks is otherwise refused: ReplicaEntryTests).
        let entry = random.pick(entryKeys)
        let texts = (0..<random.int(in: 1...3)).map { _ in editText(by: index, key, entry: entry) }
        let edits = try texts.map { text throws(CoreError) in try Edit(parsing: text, in: schema[key.collection]) }

        // What the replica must do: each edit over what the node sees, including the batch's earlier edits.
        let node = nodes[index]
        let members = (try? schema[.caseFile].field(named: "household"))?.members.map(\.name) ?? []
        let holdsEntry = members.contains { member in
            !node.model.liveValues(
                at: FieldAddress(collection: key.collection, record: key.record, field: "household.\(entry).\(member)")
            ).isEmpty
        }
        let adding = holdsEntry ? nil : try EntryKey(parsing: entry)
        var scratch = node.model
        var sequence = scratch.versions[node.id]
        var predicted: [WaypostCore.Operation] = []
        var refused = false
        for edit in edits {
            let address = FieldAddress(collection: key.collection, record: key.record, field: edit.path.description)
            do {
                guard let operation = try edit.operation(seeing: scratch.liveValues(at: address)) else { continue }
                sequence += 1
                scratch.apply(
                    Change(
                        dot: Dot(origin: node.id, sequence: sequence), timestamp: HybridTimestamp(rawValue: 0),
                        collection: key.collection, record: key.record, field: edit.path.description,
                        operation: operation))
                predicted.append(operation)
            } catch {
                refused = true
                break
            }
        }

        // Taken only when the write must be refused: it reads the whole replica.
        let before = refused ? try ReplicaSnapshot(node.replica) : nil
        switch Result(catching: { () throws(StoreError) in
            try node.replica.update(key.collection, key.record, edits: edits, addingEntry: adding, signer: node.keys)
        }) {
        case .success(let changes):
            #expect(!refused, "edits \(texts) should have been refused")
            #expect(changes.map(\.operation) == predicted)
            try takeLocal(changes, by: index, after: node.model.versions[node.id])
        case .failure(let error):
            #expect(refused, "edits \(texts) were refused: \(error)")
            #expect(error.code == .invalid)
            if let before { #expect(try ReplicaSnapshot(node.replica) == before) }
            refusedWrites += 1
        }
    }

    /// Checks a node's own new changes and applies them to its shadow.
    mutating func takeLocal(_ changes: [Change], by index: Int, after sequence: UInt64) throws {
        let wall = nodes[index].clock.read()
        for (offset, change) in changes.enumerated() {
            #expect(change.dot == Dot(origin: nodes[index].id, sequence: sequence + UInt64(offset) + 1))
            #expect(change.timestamp > nodes[index].lastLocalTimestamp)
            #expect(change.timestamp.milliseconds >= wall)
            nodes[index].lastLocalTimestamp = change.timestamp
            #expect(nodes[index].model.apply(change) == .applied)
        }
        // The state itself is compared after the node's next delivery and at the end: comparing
        // exports here as well would double the run time for little more.
        #expect(try nodes[index].replica.versions() == nodes[index].model.versions)
    }

    /// An edit as a person would type it, often not in canonical form, on a field the record's
    /// collection has. Set removes pick an element the node sees, now and then one it does not.
    mutating func editText(by index: Int, _ key: FieldAddress.RecordKey, entry: String) -> String {
        if key.collection == .caseFile {
            switch random.int(in: 0...11) {
            case 0: return "given_name=" + random.pick(["Amina", "Yusuf", "Leila", ""])
            case 1: return "status=" + random.pick(["Open", "closed", "TRANSFERRED"])
            case 2: return "dob_estimated=" + random.pick(["yes", "no"])
            case 3: return "household.\(entry).given_name=" + random.pick(["Sara", "Ali", ""])
            case 4: return "household.\(entry).relationship=" + random.pick(["spouse", "Child"])
            case 5: return "date_of_birth=" + random.pick(["2019-05-01", "2024-02-29"])
            case 6, 7: return setEdit(by: index, key, "languages", pool: ["ar", "fr", "EN"])
            case 8: return "notes+=note \(time) by \(nodes[index].id.short)"
            case 9: return "risk_level=" + random.pick(["low", "HIGH"])
            default: return setEdit(by: index, key, "assigned", pool: ["Team A", "Team B"])
            }
        } else {
            switch random.int(in: 0...7) {
            case 0, 1: return "occupied" + random.pick(["+=", "-="]) + String(random.int(in: 1...5))
            case 2: return "name=" + random.pick(["Night shelter", "Clinic on Main St"])
            case 3, 4: return setEdit(by: index, key, "category", pool: ["shelter", "clinic", "legal_aid"])
            case 5: return "capacity_total=" + String(random.int(in: 0...40))
            case 6: return "latitude=" + random.pick(["-12.3400", "51.5", "0.0"])
            default: return "status=" + random.pick(["active", "Inactive", "temporarily_closed"])
            }
        }
    }

    mutating func setEdit(by index: Int, _ key: FieldAddress.RecordKey, _ field: String, pool: [String]) -> String {
        let address = FieldAddress(collection: key.collection, record: key.record, field: field)
        let present = Set(nodes[index].model.liveValues(at: address).map(\.value)).sorted()
        if random.chance(0.08) { return "\(field)-=\(field == "assigned" ? "Team Z" : "zz")" }
        if !present.isEmpty && random.chance(0.45) { return "\(field)-=\(random.pick(present))" }
        return "\(field)+=\(random.pick(pool))"
    }

    // MARK: Exchanges

    /// Sends part of what one node has to another: sometimes asking from further back (so changes
    /// arrive twice), sometimes cut short (so a batch ends past its origin's last signature), sometimes
    /// with a gap or shuffled, in one to three batches. Each change travels with its record key and
    /// signature, as a relay passes them on.
    mutating func exchangeAtRandom() throws {
        let from = random.int(in: 0...2)
        let to = (from + random.int(in: 1...2)) % 3
        var asked = try nodes[to].replica.versions()
        #expect(asked == nodes[to].model.versions)
        if random.chance(0.3) {
            var lowered: [NodeID: UInt64] = [:]
            for (origin, sequence) in asked.entries {
                lowered[origin] = sequence - min(sequence, UInt64(random.int(in: 0...3)))
            }
            asked = VersionVector(lowered)
        }
        let offered = try nodes[from].replica.changes(after: asked)
        #expect(offered.changes == nodes[from].model.changes(after: asked))
        try expectVerifiable(offered, from: from)

        // Each origin's run, in order, perhaps cut short; origins interleaved at random.
        var queues: [[Change]] = Dictionary(grouping: offered.changes, by: \.dot.origin).values.map { run in
            run.sorted { $0.dot < $1.dot }
        }.sorted { $0[0].dot < $1[0].dot }
        for index in queues.indices where random.chance(0.3) {
            queues[index] = Array(queues[index].prefix(random.int(in: 0...queues[index].count)))
        }
        var changes: [Change] = []
        while let queue = queues.indices.filter({ !queues[$0].isEmpty }).randomElement(using: &random) {
            let change = queues[queue].removeFirst()
            if random.chance(0.05) { continue }  // lost: what follows from its origin is held back
            changes.append(change)
            if random.chance(0.08) { changes.append(random.pick(changes)) }
        }
        if random.chance(0.1) { changes.shuffle(using: &random) }

        var start = 0
        while start < changes.count {
            let end = random.chance(0.6) ? changes.count : random.int(in: (start + 1)...changes.count)
            let part = Set(changes[start..<end].map(\.dot))
            var batch = offered.keeping { part.contains($0.dot) }
            batch.changes = Array(changes[start..<end])  // in the order, and with the repeats, chosen above
            try deliver(batch, from: from, to: to)
            start = end
        }
    }

    /// Applies a batch to a node's replica and its shadow, and checks the report, the state and what
    /// is held back.
    ///
    /// The shadow follows the store's rules for what it may apply: for each origin, the changes it
    /// already has are duplicates; the others join what it held (a copy in the batch replacing a held
    /// one), and the contiguous run after what it has is applied up to the run's last signed change;
    /// the rest is held.
    mutating func deliver(_ batch: ChangeBatch, from sender: Int, to index: Int) throws {
        var expected = ApplyReport()
        let wall = nodes[index].clock.read()
        for origin in Set(batch.changes.map(\.dot.origin)).sorted() {
            let applied = nodes[index].model.versions[origin]
            var incoming: [UInt64: (change: Change, signed: Bool)] = [:]
            for change in batch.changes where change.dot.origin == origin {
                if change.dot.sequence <= applied {
                    expected.duplicates += 1
                } else {
                    incoming[change.dot.sequence] = (change, batch.signatures[change.dot] != nil)
                }
            }
            guard !incoming.isEmpty else { continue }
            let candidates = nodes[index].held[origin, default: [:]].merging(incoming) { _, new in new }
            var run: [(change: Change, signed: Bool)] = []
            while let next = candidates[applied + UInt64(run.count) + 1] { run.append(next) }
            let count = (run.lastIndex { $0.signed } ?? -1) + 1
            for (change, _) in run.prefix(count) {
                #expect(nodes[index].model.apply(change) == .applied)
                if incoming[change.dot.sequence] == nil { released += 1 }
                expected.applied += 1
                if HybridClock.isAhead(change.timestamp, ofWallMilliseconds: wall) {
                    expected.originsAhead.insert(origin)
                }
            }
            let remaining = candidates.filter { $0.key > applied + UInt64(count) }
            nodes[index].held[origin] = remaining
            if !remaining.isEmpty { expected.heldBack[origin] = (applied + UInt64(count) + 1, remaining.count) }
        }
        let report = try nodes[index].replica.apply(batch, from: nodes[sender].id)
        #expect(report == expected)
        #expect(report.discarded == 0)
        duplicates += report.duplicates
        heldBack += report.heldBackCount
        try expectShadowed(index)
    }

    /// A batch a replica offers can be verified by any node: each origin's last change is signed, and
    /// every change that is its origin's first to a record carries the record key, exactly those.
    func expectVerifiable(_ batch: ChangeBatch, from index: Int) throws {
        var firsts: Set<Dot> = []
        var keyed: Set<ApplyContext.RecordKeyAddress> = []
        for change in nodes[index].model.changes(after: VersionVector()) {
            let address = ApplyContext.RecordKeyAddress(
                origin: change.dot.origin, collection: change.collection, record: change.record)
            if keyed.insert(address).inserted { firsts.insert(change.dot) }
        }
        #expect(Set(batch.recordKeys.keys) == firsts.filter { batch[$0] != nil })
        #expect(batch.recordKeys.values.allSatisfy { $0.count == 32 })
        for origin in Set(batch.changes.map(\.dot.origin)) {
            let last = batch.changes.last { $0.dot.origin == origin }!
            #expect(batch.signatures[last.dot] != nil, "\(origin.short)'s last change \(last.dot) is not signed")
        }
    }

    // MARK: Checks

    /// The node's replica holds exactly its shadow's state, and holds back as many changes of each
    /// origin as the shadow does.
    func expectShadowed(_ index: Int) throws {
        let node = nodes[index]
        #expect(try node.replica.canonicalExport() == node.model.canonicalExport)
        #expect(try node.replica.versions() == node.model.versions)
        #expect(try pendingCounts(node.replica) == node.held.mapValues(\.count).filter { $0.value > 0 })
    }

    /// Every replica holds every change and shows the same bytes: state, record views, conflicts,
    /// SQL views and counts.
    func expectConverged() throws {
        let reference = nodes[0]
        let allChanges = reference.model.changes(after: VersionVector())
        #expect(!allChanges.isEmpty)
        var direct = ReplicaModel()
        for change in allChanges { #expect(direct.apply(change) == .applied) }

        let export = try reference.replica.canonicalExport()
        #expect(export == direct.canonicalExport)
        let records = reference.model.records
        let conflicts = try reference.replica.conflicts()
        let statistics = try reference.replica.statistics()
        let caseRows = try viewRows(reference.replica, "cases")
        let serviceRows = try viewRows(reference.replica, "services")
        #expect(caseRows.count == records.filter { $0.collection == .caseFile }.count)
        #expect(serviceRows.count == records.filter { $0.collection == .service }.count)
        #expect(statistics.changes == allChanges.count)

        // The conflicts the merge rules say there are, in the replica's order.
        var modelConflicts: [SQLiteReplica.Conflict] = []
        for key in records {
            for (field, values) in direct.view(key.collection, key.record, schema: schema).conflicts {
                modelConflicts.append(
                    SQLiteReplica.Conflict(collection: key.collection, record: key.record, field: field, values: values)
                )
            }
        }
        #expect(conflicts == modelConflicts)
        #expect(statistics.conflicts == conflicts.count)

        for node in nodes {
            #expect(try node.replica.versions() == direct.versions)
            #expect(try node.replica.canonicalExport() == export)
            #expect(node.model.canonicalExport == export)
            #expect(node.model.records == records)
            for key in records {
                let shown = try #require(try node.replica.view(key.collection, key.record))
                #expect(
                    shown.json(schema: schema).canonical
                        == direct.view(key.collection, key.record, schema: schema).json(schema: schema).canonical)
            }
            for collection in RecordCollection.allCases {
                let listed = try node.replica.views(collection)
                let expected = records.filter { $0.collection == collection }
                #expect(listed.map(\.id) == expected.map(\.record))
                #expect(
                    listed.map { $0.json(schema: schema).canonical }
                        == expected.map {
                            direct.view($0.collection, $0.record, schema: schema).json(schema: schema).canonical
                        })
            }
            #expect(try node.replica.conflicts() == conflicts)
            #expect(try node.replica.statistics() == statistics)
            let nodeCaseRows = try viewRows(node.replica, "cases")
            // Shown values kept up field by field equal those recomputed from scratch.
            let servicesBefore = try viewRows(node.replica, "services")
            try node.replica.rebuildShownValues()
            #expect(try viewRows(node.replica, "cases") == nodeCaseRows, "incremental shown values differ from a rebuild")
            #expect(try viewRows(node.replica, "services") == servicesBefore, "incremental shown values differ from a rebuild")
            #expect(
                nodeCaseRows == caseRows,
                "\(Set(nodeCaseRows.flatMap { $0 }).symmetricDifference(caseRows.flatMap { $0 }))")
            let nodeServiceRows = try viewRows(node.replica, "services")
            #expect(
                nodeServiceRows == serviceRows,
                "\(Set(nodeServiceRows.flatMap { $0 }).symmetricDifference(serviceRows.flatMap { $0 }))")
        }
    }
}
