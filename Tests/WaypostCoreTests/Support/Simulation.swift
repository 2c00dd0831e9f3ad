import Testing
import WaypostTesting

@testable import WaypostCore

/// A seeded run of three to five nodes editing a few shared records of both collections while
/// partitions come and go, wall clocks jump back and one node may run a year fast.
///
/// Deliveries behave like real sync: a random subset of what the sender has, each origin's changes in
/// sequence order but origins interleaved at random, with repeats and the odd change offered before
/// its predecessor. Every offer's ``ApplyOutcome`` is checked against what the receiver had seen.
struct Simulation {
    /// The generator every random choice draws from.
    var random: SplitMix64
    /// The nodes.
    var nodes: [TestNode]
    /// True time, in milliseconds since the epoch; each node reads it through its own skew.
    var time: UInt64 = Fixtures.baseMilliseconds
    /// Pairs of node indexes, smaller first, that cannot talk at the moment.
    var blocked: Set<[Int]> = []
    /// Every change any node made, in the order made.
    var made: [Change] = []
    /// For every change, the version vector its origin had seen when it made it: the change's causal past.
    var contexts: [Dot: VersionVector] = [:]

    /// The case files every node edits.
    let caseRecords: [RecordID]
    /// The service every node edits.
    let serviceRecords: [RecordID]
    /// The household entry keys every node edits.
    let entryKeys = [Fixtures.memberKey, Fixtures.otherMemberKey]

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let count = random.int(in: 3...5)
        var ids: Set<NodeID> = []
        while ids.count < count { ids.insert(Fixtures.node(using: &random)) }
        var nodes: [TestNode] = []
        for id in ids.sorted() {
            // Half the nodes share true time exactly, so equal timestamps (ties broken by dot) are common.
            nodes.append(TestNode(id, skew: random.chance(0.5) ? 0 : Int64(random.int(in: -2_000...2_000))))
        }
        if random.chance(0.3) {
            let fast = random.int(in: 0...(count - 1))
            nodes[fast].skew = 365 * 24 * 3_600_000
        }
        caseRecords = [RecordID.random(using: &random), RecordID.random(using: &random)]
        serviceRecords = [RecordID.random(using: &random)]
        self.nodes = nodes
        self.random = random
    }

    // MARK: Running

    /// Runs `steps` random steps: local edits, deliveries between pairs that can talk, new
    /// partitions, wall clocks going back.
    mutating func run(steps: Int) throws(CoreError) {
        for _ in 0..<steps {
            time += random.chance(0.3) ? 0 : UInt64(random.int(in: 1...3_000))
            switch random.int(in: 0...99) {
            case 0..<50: try editAtRandom()
            case 50..<92: deliverAtRandom()
            case 92..<97: repartition()
            default:
                let index = random.int(in: 0...(nodes.count - 1))
                nodes[index].skew -= Int64(random.int(in: 1_000...120_000))
            }
        }
    }

    /// Ends every partition and lets every node pull everything from every other node, in a random
    /// order of pairs, with repeats.
    mutating func healAndDeliverEverything() {
        blocked = []
        var pairs: [(Int, Int)] = []
        for from in nodes.indices {
            for to in nodes.indices where from != to { pairs.append((from, to)) }
        }
        pairs.shuffle(using: &random)
        for (from, to) in pairs { deliver(from: from, to: to, everything: true) }
    }

    // MARK: Edits

    mutating func editAtRandom() throws(CoreError) {
        let index = random.int(in: 0...(nodes.count - 1))
        let (collection, record, text) = randomEdit(by: index)
        let seen = nodes[index].model.versions
        guard let change = try nodes[index].edit(text, collection, record, at: time) else { return }
        made.append(change)
        contexts[change.dot] = seen
    }

    /// An edit as a person would type it, often not in canonical form (`Open`, `EN`, `-12.3400`).
    mutating func randomEdit(by index: Int) -> (RecordCollection, RecordID, String) {
        if random.chance(0.65) {
            let record = random.pick(caseRecords)
            let key = random.pick(entryKeys).text
            let text: String
            switch random.int(in: 0...10) {
            case 0: text = "given_name=" + random.pick(["Amina", "Yusuf", "Léïla", "Omar", ""])
            case 1: text = "status=" + random.pick(["Open", "closed", "TRANSFERRED"])
            case 2: text = "dob_estimated=" + random.pick(["yes", "no", "1"])
            case 3: text = "household.\(key).given_name=" + random.pick(["Sara", "Ali", ""])
            case 4: text = "household.\(key).relationship=" + random.pick(["spouse", "Child", "parent"])
            case 5: text = "household.\(key).date_of_birth=" + random.pick(["2019-05-01", "2024-02-29"])
            case 6, 7: text = setEdit(by: index, "languages", .caseFile, record, pool: ["ar", "fr", "EN", "ps"])
            case 8: text = "notes+=note \(made.count) from \(nodes[index].id.short)"
            case 9: text = "risk_level=" + random.pick(["low", "HIGH", "critical"])
            default:
                // The same name with a precomposed é and with e + U+0301: equal as Strings, not as bytes.
                text = setEdit(by: index, "assigned", .caseFile, record, pool: ["Team A", "Jos\u{E9}", "Jose\u{301}"])
            }
            return (.caseFile, record, text)
        } else {
            let record = random.pick(serviceRecords)
            let text: String
            switch random.int(in: 0...7) {
            case 0, 1: text = "occupied" + random.pick(["+=", "-="]) + String(random.int(in: 1...5))
            case 2: text = "name=" + random.pick(["Night shelter", "Clinic on Main St"])
            case 3, 4:
                text = setEdit(by: index, "category", .service, record, pool: ["shelter", "clinic", "legal_aid"])
            case 5: text = setEdit(by: index, "phones", .service, record, pool: ["+44 20 7946 0958", "0800 123 456"])
            case 6: text = "latitude=" + random.pick(["-12.3400", "51.5", "0.0"])
            default: text = "status=" + random.pick(["active", "Inactive", "temporarily_closed"])
            }
            return (.service, record, text)
        }
    }

    /// Removes an element the node sees, or adds one from `pool` (which may already be there).
    mutating func setEdit(
        by index: Int, _ field: String, _ collection: RecordCollection, _ record: RecordID, pool: [String]
    ) -> String {
        let present = nodes[index].live(field, collection, record).map(\.value).sorted()
        if !present.isEmpty && random.chance(0.45) { return "\(field)-=\(random.pick(present))" }
        return "\(field)+=\(random.pick(pool))"
    }

    // MARK: Delivery

    mutating func repartition() {
        blocked = []
        if random.chance(0.3) { return }
        let sides = nodes.indices.map { _ in random.chance(0.5) }
        for a in nodes.indices {
            for b in nodes.indices where a < b && sides[a] != sides[b] { blocked.insert([a, b]) }
        }
        if random.chance(0.5) {
            let a = random.int(in: 0...(nodes.count - 2))
            blocked.insert([a, random.int(in: (a + 1)...(nodes.count - 1))])
        }
    }

    mutating func deliverAtRandom() {
        let from = random.int(in: 0...(nodes.count - 1))
        let to = (from + random.int(in: 1...(nodes.count - 1))) % nodes.count
        guard !blocked.contains([min(from, to), max(from, to)]) else { return }
        deliver(from: from, to: to, everything: false)
    }

    /// Offers `to` a run of each origin's changes that `from` holds, starting a little before what
    /// `to` has already seen (so some arrive twice), origins interleaved at random.
    mutating func deliver(from: Int, to: Int, everything: Bool) {
        let source = nodes[from].model
        var queues: [[Change]] = []
        for origin in source.versions.origins {
            let held = Int(source.versions[origin])
            let next = Int(nodes[to].model.versions[origin]) + 1
            let first = max(1, min(next, held + 1) - random.int(in: 0...2))
            let last = everything ? held : random.int(in: (first - 1)...held)
            guard first <= last else { continue }
            queues.append((first...last).map { source.changes[Dot(origin: origin, sequence: UInt64($0))]! })
        }
        var offered: [Change] = []
        while true {
            let waiting = queues.indices.filter { !queues[$0].isEmpty }
            guard !waiting.isEmpty else { break }
            let queue = random.pick(waiting)
            if queues[queue].count > 1 && random.chance(0.05) {
                offer(queues[queue][random.int(in: 1...(queues[queue].count - 1))], to: to)
            }
            let change = queues[queue].removeFirst()
            offer(change, to: to)
            offered.append(change)
            if random.chance(0.1) { offer(random.pick(offered), to: to) }
        }
    }

    /// Offers one change and checks the outcome against what the receiver had seen of its origin.
    mutating func offer(_ change: Change, to index: Int) {
        let next = nodes[index].model.versions[change.dot.origin] + 1
        let expected: ApplyOutcome =
            change.dot.sequence < next
            ? .duplicate : change.dot.sequence == next ? .applied : .missingPredecessor(expected: next)
        if expected == .applied {
            #expect(nodes[index].receive(change, at: time) == .applied)
            return
        }
        let versionsBefore = nodes[index].model.versions
        let liveBefore = Set(nodes[index].model.liveValues(at: change.address).map(\.dot))
        #expect(nodes[index].receive(change, at: time) == expected)
        #expect(nodes[index].model.versions == versionsBefore)
        #expect(Set(nodes[index].model.liveValues(at: change.address).map(\.dot)) == liveBefore)
    }
}
