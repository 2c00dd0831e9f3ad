import Foundation
import Testing
import WaypostTesting
import WaypostCrypto
import WaypostTrust

@testable import WaypostCore
@testable import WaypostStore

/// What `SQLiteReplica.apply` refuses: changes from nodes it does not trust, and changes that are not
/// exactly what their origin wrote and signed (altered, cut, reordered, signed by another key, with a
/// record key missing or added). Each refusal applies nothing; a batch that only lacks its signature
/// is kept back until one arrives.
///
/// A writes; B relays; C receives and trusts A and B; X is trusted by no one.
@Suite struct ReplicaTrustTests {
    let aKeys = StoreFixtures.keys(11)
    let bKeys = StoreFixtures.keys(12)
    let cKeys = StoreFixtures.keys(13)
    let xKeys = StoreFixtures.keys(14)

    struct Nodes {
        let a: SQLiteReplica
        let b: SQLiteReplica
        let c: SQLiteReplica
        /// The case file A created, which C holds.
        let record: RecordID
    }

    /// A has created a case file (two changes, signed at the second) that C holds, and then written to
    /// it again with `edits` (signed at the last change), which C has not seen.
    func nodes(
        in directory: URL, edits: [String] = ["given_name=Aminah", "languages+=ar", "notes+=seen", "risk_level=high"]
    )
        throws -> Nodes
    {
        let a = try StoreFixtures.replica(in: directory, "a", keys: aKeys)
        let b = try StoreFixtures.replica(in: directory, "b", keys: bKeys, trusting: [aKeys.publicKey])
        let c = try StoreFixtures.replica(
            in: directory, "c", keys: cKeys, trusting: [aKeys.publicKey, bKeys.publicKey])
        let (record, created) = try a.create(.caseFile, edits: StoreFixtures.edits("given_name=Amina"), signer: aKeys)
        #expect(created.count == 2)
        #expect(try c.pull(from: a).applied == 2)
        if !edits.isEmpty {
            _ = try a.update(.caseFile, record, edits: StoreFixtures.edits(edits), signer: aKeys)
        }
        return Nodes(a: a, b: b, c: c, record: record)
    }

    var a: NodeID { aKeys.publicKey }

    // MARK: Who

    /// Changes whose origin C does not trust are skipped and reported by origin, even when they come
    /// from a trusted sender; the trusted origins' changes beside them apply (issue 15 §4: one untrusted
    /// origin among relayed changes must not block the others), and C's versions do not count them.
    @Test func changesFromAnUntrustedOriginAreSkippedNamingIt() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let x = try StoreFixtures.replica(in: directory, "x", keys: xKeys)
            _ = try x.create(.caseFile, edits: StoreFixtures.edits("given_name=Mallory"), signer: xKeys)
            let fromX = try x.changes(after: VersionVector())

            let alone = try nodes.c.apply(fromX, from: a)
            #expect(alone.applied == 0 && alone.untrustedOrigins == [xKeys.publicKey: fromX.changes.count])
            // With A's changes, from A as the sender: A's apply, X's are skipped.
            let mixed = try nodes.a.changes(after: nodes.c.versions()) + fromX
            let report = try nodes.c.apply(mixed, from: a)
            #expect(report.applied == 4)
            #expect(report.untrustedOrigins == [xKeys.publicKey: fromX.changes.count])
            #expect(try nodes.c.versions()[xKeys.publicKey] == 0)
            #expect(try nodes.c.versions()[a] == nodes.a.versions()[a])
        }
    }

    /// A batch from a sender C does not trust is refused even when every origin in it is trusted.
    @Test func aBatchFromAnUntrustedSenderIsRefused() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let error = try expectRefusal(.untrusted, applying: batch, to: nodes.c, from: xKeys.publicKey)
            #expect(error?.message.contains(xKeys.publicKey.description) == true)
            #expect(try nodes.c.apply(batch, from: a).applied == 4)
        }
    }

    // MARK: What

    /// A change whose value, or any other part, was altered after its origin signed the chain is
    /// refused as forged.
    @Test func aChangeAlteredAfterSigningIsForged() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let name = try #require(batch.changes.first { $0.field == "given_name" })
            let alterations: [(String, Change)] = [
                ("value", name.with(operation: .assign(value: "Mallory", supersedes: name.operation.supersedes))),
                ("supersedes", name.with(operation: .assign(value: "Aminah", supersedes: []))),
                (
                    "timestamp",
                    Change(
                        dot: name.dot, timestamp: name.timestamp.successor, collection: name.collection,
                        record: name.record,
                        field: name.field, operation: name.operation)
                ),
                (
                    "field",
                    Change(
                        dot: name.dot, timestamp: name.timestamp, collection: name.collection, record: name.record,
                        field: "family_name", operation: name.operation)
                ),
            ]
            for (part, altered) in alterations {
                let forged = batch.replacing(name.dot) { _ in altered }
                let error = try expectRefusal(.forged, applying: forged, to: nodes.c, from: a)
                #expect(error?.message.contains(a.short) == true, "\(part)")
            }
            #expect(try nodes.c.apply(batch).applied == 4)
        }
    }

    /// A change cut out of a relayed run: with the later changes renumbered to close the gap (and
    /// the signature moved with them) the chain no longer leads to the signed head, and the batch is
    /// forged; left as a gap, nothing after it can be verified and nothing is applied: the changes are
    /// kept back, and only the real change lets them apply.
    @Test func aChangeCutFromTheMiddleOfARelayedRunIsRefused() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            try nodes.b.pull(from: nodes.a)
            let relay = nodes.b.localNode
            let relayed = try nodes.b.changes(after: nodes.c.versions())
            #expect(relayed.changes.map(\.dot.sequence) == [3, 4, 5, 6])
            let cut = Dot(origin: a, sequence: 4)

            // Renumbered: 5 becomes 4 and 6 becomes 5, with its signature.
            var renumbered = relayed.keeping { $0.dot != cut }
            renumbered.changes = renumbered.changes.map { change in
                change.dot.sequence > cut.sequence
                    ? change.with(dot: Dot(origin: a, sequence: change.dot.sequence - 1)) : change
            }
            renumbered.signatures = Dictionary(
                uniqueKeysWithValues: relayed.signatures.map {
                    (Dot(origin: a, sequence: $0.key.sequence - 1), $0.value)
                })
            #expect(renumbered.changes.map(\.dot.sequence) == [3, 4, 5])
            #expect(renumbered.signatures.keys.map(\.sequence) == [5])
            try expectRefusal(.forged, applying: renumbered, to: nodes.c, from: relay)

            // A gap: nothing applied, everything after the last applied change kept back.
            let before = try ReplicaSnapshot(nodes.c).applied
            let gapped = try nodes.c.apply(relayed.keeping { $0.dot != cut }, from: relay)
            #expect(gapped.applied == 0)
            #expect(gapped.heldBack[a]?.expected == 3)
            #expect(gapped.heldBack[a]?.count == 3)
            #expect(try ReplicaSnapshot(nodes.c).applied == before)
            #expect(try pendingCounts(nodes.c) == [a: 3])

            // A change made up to fill the gap is never applied: with the kept changes its chain does not
            // lead to A's signature. The store cannot tell which of the two deliveries is false, so it
            // judges the newer alone (which cannot be verified yet, and waits) and drops the older.
            let original = try #require(relayed[cut])
            let madeUp = relayed.keeping { $0.dot == cut }.replacing(cut) { _ in
                original.with(operation: .insert(element: "fr"))
            }
            let filledWrongly = try nodes.c.apply(madeUp, from: relay)
            #expect(filledWrongly.applied == 0)
            #expect(filledWrongly.discarded == 3)
            #expect(filledWrongly.heldBack[a]?.expected == 3)
            #expect(filledWrongly.heldBack[a]?.count == 1)
            #expect(try ReplicaSnapshot(nodes.c).applied == before)

            // The real run, sent again as a relay sends what C lacks, replaces it and applies.
            let filled = try nodes.c.apply(nodes.b.changes(after: nodes.c.versions()), from: relay)
            #expect(filled.applied == 4)
            #expect(filled.heldBack.isEmpty)
            #expect(try pendingCounts(nodes.c).isEmpty)
            #expect(try nodes.c.canonicalExport() == nodes.a.canonicalExport())

            // Elsewhere, the real change arriving alone after the gap lets the kept changes apply with it.
            let d = try StoreFixtures.replica(in: directory, "d", keys: StoreFixtures.keys(17), trusting: [a, relay])
            #expect(try d.apply(nodes.a.changes(after: VersionVector()).keeping { $0.dot.sequence <= 2 }).applied == 2)
            #expect(try d.apply(relayed.keeping { $0.dot != cut }, from: relay).heldBackCount == 3)
            let lone = try d.apply(relayed.keeping { $0.dot == cut }, from: relay)
            #expect(lone.applied == 4)
            #expect(lone.heldBack.isEmpty)
            #expect(try d.canonicalExport() == nodes.a.canonicalExport())
        }
    }

    /// Two changes whose places in the chain were swapped are refused; the same changes merely listed
    /// in another order in the batch are the same changes, and apply.
    @Test func twoChangesSwappedAreRefused() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let (four, five) = (Dot(origin: a, sequence: 4), Dot(origin: a, sequence: 5))
            let (first, second) = (try #require(batch[four]), try #require(batch[five]))
            let swapped = batch.replacing(four) { _ in second.with(dot: four) }.replacing(five) { _ in
                first.with(dot: five)
            }
            try expectRefusal(.forged, applying: swapped, to: nodes.c, from: a)

            var listed = batch
            listed.changes.reverse()
            #expect(try nodes.c.apply(listed, from: a).applied == 4)
            #expect(try nodes.c.canonicalExport() == nodes.a.canonicalExport())
        }
    }

    /// A's chain head signed with another node's key (B's, a node C trusts) is forged: a signature
    /// counts only as the origin's.
    @Test func aSignatureByAnotherKeyIsForged() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let last = Dot(origin: a, sequence: 6)
            // The head at A's last change, recomputed over A's whole chain: A's signature verifies on it.
            let heads = try #require(chainHeads(of: try nodes.a.changes(after: VersionVector()), origin: a))
            let head = try #require(heads[last])
            #expect(ChangeChain.isValid(try #require(batch.signatures[last]), at: last, head: head))

            var forged = batch
            forged.signatures[last] = ChangeChain.sign(at: last, head: head, with: bKeys)
            let error = try expectRefusal(.forged, applying: forged, to: nodes.c, from: bKeys.publicKey)
            #expect(error?.message.contains(a.short) == true)
            // Nor does A's key signing another head (the genesis) or another place (the change before).
            forged.signatures[last] = ChangeChain.sign(at: last, head: ChangeChain.genesis, with: aKeys)
            try expectRefusal(.forged, applying: forged, to: nodes.c)
            forged.signatures[last] = ChangeChain.sign(at: Dot(origin: a, sequence: 5), head: head, with: aKeys)
            try expectRefusal(.forged, applying: forged, to: nodes.c)
        }
    }

    /// A signature replaced by random bytes, of the right length or not, is forged.
    @Test func aSignatureOfRandomBytesIsForged() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let last = Dot(origin: a, sequence: 6)
            var random = SplitMix64(seed: 7)
            for length in [64, 64, 0, 63, 65] {
                var forged = batch
                forged.signatures[last] = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &random) }
                try expectRefusal(.forged, applying: forged, to: nodes.c, from: a)
            }
            // One bit flipped in the real one.
            var flipped = batch
            flipped.signatures[last]?[17] ^= 0x04
            try expectRefusal(.forged, applying: flipped, to: nodes.c, from: a)
        }
    }

    /// An origin's first change to a record must bring the record key: without it the chain cannot be
    /// computed, and with another key in its place it does not lead to the signed head.
    @Test func aMissingOrReplacedRecordKeyIsForged() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory, edits: [])
            let (service, _) = try nodes.a.create(
                .service, edits: StoreFixtures.edits("name=Clinic", "occupied+=3", in: .service), signer: aKeys)
            let batch = try nodes.a.changes(after: nodes.c.versions())
            let first = Dot(origin: a, sequence: 3)
            #expect(batch[first]?.record == service)
            #expect(Array(batch.recordKeys.keys) == [first])

            var missing = batch
            missing.recordKeys[first] = nil
            let error = try expectRefusal(.forged, applying: missing, to: nodes.c, from: a)
            #expect(error?.message.contains("record key") == true)
            var replaced = batch
            replaced.recordKeys[first] = [UInt8](repeating: 7, count: ChangeChain.recordKeyLength)
            try expectRefusal(.forged, applying: replaced, to: nodes.c, from: a)
            var short = batch
            short.recordKeys[first] = [UInt8](repeating: 7, count: 16)
            try expectRefusal(.forged, applying: short, to: nodes.c, from: a)

            #expect(try nodes.c.apply(batch, from: a).applied == 3)
        }
    }

    /// A record has one record key per origin: a second one for a record already keyed is forged,
    /// whether the first is already in the replica or earlier in the same batch.
    @Test func aSecondRecordKeyForARecordIsForged() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let key = [UInt8](repeating: 9, count: ChangeChain.recordKeyLength)

            // The record's key is in C already; the update brings another.
            let update = try nodes.a.changes(after: nodes.c.versions())
            #expect(update.recordKeys.isEmpty)
            var keyedAgain = update
            keyedAgain.recordKeys[Dot(origin: a, sequence: 3)] = key
            let error = try expectRefusal(.forged, applying: keyedAgain, to: nodes.c, from: a)
            #expect(error?.message.contains("second record key") == true)

            // In one batch: the record's first change brings its key, and a later one another.
            let fresh = try StoreFixtures.replica(in: directory, "fresh", keys: StoreFixtures.keys(15), trusting: [a])
            let everything = try nodes.a.changes(after: VersionVector())
            #expect(Array(everything.recordKeys.keys) == [Dot(origin: a, sequence: 1)])
            var twice = everything
            twice.recordKeys[Dot(origin: a, sequence: 2)] = key
            try expectRefusal(.forged, applying: twice, to: fresh, from: a)

            #expect(try fresh.apply(everything, from: a).applied == 6)
            #expect(try nodes.c.apply(update, from: a).applied == 4)
        }
    }

    // MARK: Signatures that are not there yet

    /// A batch whose last change carries no signature cannot be verified yet: none of its unsigned
    /// tail is applied; it is kept back, and applies once a later batch brings a signature further
    /// along the chain.
    @Test func anUnsignedTailIsKeptBackUntilASignatureArrives() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            var unsigned = try nodes.a.changes(after: nodes.c.versions())
            #expect(unsigned.signatures.keys.map(\.sequence) == [6])
            unsigned.signatures = [:]
            let before = try ReplicaSnapshot(nodes.c).applied

            let report = try nodes.c.apply(unsigned, from: a)
            #expect(report.applied == 0)
            #expect(report.heldBack[a]?.expected == 3)
            #expect(report.heldBack[a]?.count == 4)
            #expect(try ReplicaSnapshot(nodes.c).applied == before)
            #expect(try pendingCounts(nodes.c) == [a: 4])

            // A writes once more; the new change alone, signed, completes the chain.
            let seen = try nodes.a.versions()
            _ = try nodes.a.update(.caseFile, nodes.record, edits: StoreFixtures.edits("notes+=again"), signer: aKeys)
            let next = try nodes.a.changes(after: seen)
            #expect(next.changes.map(\.dot.sequence) == [7])
            let completed = try nodes.c.apply(next, from: a)
            #expect(completed.applied == 5)
            #expect(completed.heldBack.isEmpty)
            #expect(try pendingCounts(nodes.c).isEmpty)
            #expect(try nodes.c.canonicalExport() == nodes.a.canonicalExport())
            #expect(try nodes.c.versions() == nodes.a.versions())
        }
    }

    // MARK: Relays

    /// A's changes reach C through B exactly as A wrote them, with A's record keys and signatures, and
    /// C verifies them as A's: trusting B is not enough to accept A's changes, and B cannot alter them.
    @Test func relayedChangesAreVerifiedAsTheirOrigins() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            let b = nodes.b
            try b.pull(from: nodes.a)
            _ = try b.update(.caseFile, nodes.record, edits: StoreFixtures.edits("status=Closed"), signer: bKeys)

            let relayed = try b.changes(after: nodes.c.versions())
            #expect(relayed.only(from: a) == (try nodes.a.changes(after: nodes.c.versions())))
            #expect(relayed.only(from: b.localNode).changes.count == 1)

            // A node that trusts B but not A skips A's changes, naming A, and takes B's own.
            let onlyB = try StoreFixtures.replica(
                in: directory, "only-b", keys: StoreFixtures.keys(16), trusting: [b.localNode])
            let skipped = try onlyB.apply(relayed, from: b.localNode)
            #expect(skipped.untrustedOrigins == [a: relayed.only(from: a).changes.count])
            #expect(try skipped.applied == 1 && onlyB.versions()[a] == 0)

            // B alters one of A's changes on the way: refused as A's forgery, B's own change with it.
            let notes = try #require(relayed.changes.first { $0.field == "notes" })
            let altered = relayed.replacing(notes.dot) { _ in notes.with(operation: .append(entry: "never said")) }
            let forged = try expectRefusal(.forged, applying: altered, to: nodes.c, from: b.localNode)
            #expect(forged?.message.contains(a.short) == true)

            let report = try nodes.c.apply(relayed, from: b.localNode)
            #expect(report.applied == 5)
            #expect(try nodes.c.canonicalExport() == b.canonicalExport())
            // C now relays A's changes in turn, still exactly as A wrote them.
            #expect(
                try nodes.c.changes(after: VersionVector()).only(from: a)
                    == (try nodes.a.changes(after: VersionVector())))
        }
    }

    /// An old batch offered again is all duplicates, and changes nothing.
    @Test func replayingAnOldBatchChangesNothing() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory, edits: [])
            let first = try nodes.a.changes(after: VersionVector())
            _ = try nodes.a.update(
                .caseFile, nodes.record, edits: StoreFixtures.edits("given_name=Aminah"), signer: aKeys)
            let second = try nodes.a.changes(after: nodes.c.versions())
            #expect(try nodes.c.apply(second, from: a).applied == 1)
            let before = try ReplicaSnapshot(nodes.c)

            for old in [first, second, first + second] {
                let report = try nodes.c.apply(old, from: a)
                #expect(report.applied == 0)
                #expect(report.duplicates == old.changes.count)
                #expect(report.heldBack.isEmpty)
                #expect(try nodes.c.canonicalExport() == before.export)
                #expect(try nodes.c.versions() == before.versions)
                #expect(try nodes.c.statistics().changes == before.statistics.changes)
                #expect(try ReplicaSnapshot(nodes.c) == before)
            }
        }
    }

    // MARK: Whatever is done to a batch

    /// Seeded random tamperings of runs of A's chain, delivered one after another to the same replica
    /// (so that what one leaves kept back meets the next): whatever is refused, kept or applied, the
    /// replica only ever holds a prefix of A's genuine chain; and the genuine chain, delivered at the
    /// end, leaves it exactly A's.
    @Test func randomTamperingNeverAppliesAForgery() throws {
        try withTemporaryDirectory { directory in
            let nodes = try nodes(in: directory)
            for edits in [
                ["languages+=fr", "notes+=one"], ["given_name=Leila"],
                ["languages-=ar", "risk_level=low", "notes+=two"],
            ] {
                _ = try nodes.a.update(.caseFile, nodes.record, edits: StoreFixtures.edits(edits), signer: aKeys)
            }
            _ = try nodes.a.create(
                .service, edits: StoreFixtures.edits("name=Clinic", "occupied+=2", in: .service), signer: aKeys)
            let genuine = try nodes.a.changes(after: VersionVector())
            #expect(genuine.changes.count == 15)
            #expect(genuine.signatures.keys.map(\.sequence).sorted() == [2, 6, 8, 9, 12, 15])

            var random = SplitMix64(seed: 2_026)
            var outcomes: [String: Int] = [:]
            // Three receivers, twelve deliveries each: a receiver that has caught up only sees duplicates.
            for number in 0..<3 {
                let receiver = try StoreFixtures.replica(
                    in: directory, "receiver\(number)", keys: StoreFixtures.keys(18), trusting: [a])
                try tamperAndDeliver(
                    genuine, to: receiver, rounds: 12, first: number * 5, using: &random, outcomes: &outcomes)
                _ = try receiver.apply(genuine, from: a)
                #expect(try receiver.canonicalExport() == nodes.a.canonicalExport())
                #expect(try receiver.changes(after: VersionVector()).changes == genuine.changes)
                #expect(try pendingCounts(receiver).isEmpty)
            }
            #expect(outcomes.keys.contains { $0.hasSuffix("refused") })
            #expect(outcomes.keys.contains { $0.hasSuffix(": applied") && !$0.hasPrefix("none") })
        }
    }

    /// Delivers `rounds` tampered runs of `genuine` (the tamperings in turn from `first`) and checks
    /// after each that the receiver holds a prefix of it.
    func tamperAndDeliver(
        _ genuine: ChangeBatch, to receiver: SQLiteReplica, rounds: Int, first: Int, using random: inout SplitMix64,
        outcomes: inout [String: Int]
    ) throws {
        let count = genuine.changes.count
        let signed = genuine.signatures.keys.map { Int($0.sequence) }.sorted()
        var model = ReplicaModel()
        var prefixes = [model.canonicalExport]
        for change in genuine.changes {
            model.apply(change)
            prefixes.append(model.canonicalExport)
        }
        for round in 0..<rounds {
            // Mostly runs that continue what the receiver holds and end at a signature, so that
            // untampered ones apply and tampered ones meet what is there.
            let next = min(count, Int(try receiver.versions()[a]) + 1)
            let start = random.chance(0.7) ? random.int(in: 1...next) : random.int(in: 1...count)
            let ends = signed.filter { $0 >= start }
            let end = random.chance(0.7) && !ends.isEmpty ? random.pick(ends) : random.int(in: start...count)
            var batch = genuine.keeping { (UInt64(start)...UInt64(end)).contains($0.dot.sequence) }
            let kind = Tampering.allCases[(round + first) % Tampering.allCases.count]
            kind.apply(to: &batch, origin: a, wrongKeys: bKeys, using: &random)
            outcomes["\(kind): \(deliver(batch, to: receiver))", default: 0] += 1

            let held = Int(try receiver.versions()[a])
            let export = try receiver.canonicalExport()
            #expect(export == prefixes[held], "round \(round), \(kind)")
            let holds = try receiver.changes(after: VersionVector()).changes
            #expect(holds == Array(genuine.changes.prefix(held)), "round \(round), \(kind)")
        }
    }

    /// Applies a batch from A and says what happened: applied, nothing applied, or refused (as forged:
    /// the tamperings keep every change valid for the schema).
    func deliver(_ batch: ChangeBatch, to receiver: SQLiteReplica) -> String {
        do {
            return try receiver.apply(batch, from: a).applied > 0 ? "applied" : "nothing applied"
        } catch {
            #expect(error.code == .forged, "\(error)")
            return "refused"
        }
    }

    /// What can be done to a batch on the way.
    enum Tampering: CaseIterable {
        case none, alterValue, alterTimestamp, swapTwo, cutAndRenumber, cut, stripSignatures, randomSignature
        case wrongKey, dropRecordKey, addRecordKey, sameDotTwice

        func apply(
            to batch: inout ChangeBatch, origin: NodeID, wrongKeys: SigningKeyPair, using random: inout SplitMix64
        ) {
            guard !batch.changes.isEmpty else { return }
            let index = random.int(in: 0...(batch.changes.count - 1))
            let change = batch.changes[index]
            switch self {
            case .none:
                break
            case .alterValue:
                batch.changes[index] = change.with(operation: Self.altered(change.operation))
            case .alterTimestamp:
                batch.changes[index] = Change(
                    dot: change.dot, timestamp: HybridTimestamp(rawValue: change.timestamp.rawValue + 1 << 16),
                    collection: change.collection, record: change.record, field: change.field,
                    operation: change.operation)
            case .swapTwo:
                guard index + 1 < batch.changes.count else {
                    return Tampering.alterValue.apply(to: &batch, origin: origin, wrongKeys: wrongKeys, using: &random)
                }
                let next = batch.changes[index + 1]
                batch.changes[index] = next.with(dot: change.dot)
                batch.changes[index + 1] = change.with(dot: next.dot)
            case .cutAndRenumber:
                let cut = change.dot.sequence
                batch.changes.remove(at: index)
                batch.changes = batch.changes.map {
                    $0.dot.sequence > cut ? $0.with(dot: Dot(origin: origin, sequence: $0.dot.sequence - 1)) : $0
                }
                let shift = { (dot: Dot) in dot.sequence > cut ? Dot(origin: origin, sequence: dot.sequence - 1) : dot }
                batch.recordKeys = Dictionary(
                    batch.recordKeys.filter { $0.key.sequence != cut }.map { (shift($0.key), $0.value) }
                ) { $1 }
                batch.signatures = Dictionary(
                    batch.signatures.filter { $0.key.sequence != cut }.map { (shift($0.key), $0.value) }
                ) { $1 }
            case .cut:
                batch = batch.keeping { $0.dot != change.dot }
            case .stripSignatures:
                batch.signatures = [:]
            case .randomSignature:
                let dot = batch.signatures.keys.sorted().last ?? change.dot
                batch.signatures[dot] = (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            case .wrongKey:
                // Another key over what the head would be if the batch started the chain: never A's.
                let dot = batch.changes.last!.dot
                let heads = chainHeads(of: batch, origin: origin) ?? [:]
                batch.signatures[dot] = ChangeChain.sign(
                    at: dot, head: heads[dot] ?? ChangeChain.genesis, with: wrongKeys)
            case .dropRecordKey:
                guard let dot = batch.recordKeys.keys.sorted().first else {
                    return Tampering.stripSignatures.apply(
                        to: &batch, origin: origin, wrongKeys: wrongKeys, using: &random)
                }
                batch.recordKeys[dot] = nil
            case .addRecordKey:
                batch.recordKeys[change.dot] = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            case .sameDotTwice:
                batch.changes.insert(
                    change.with(operation: Self.altered(change.operation)), at: random.chance(0.5) ? index : index + 1)
            }
        }

        /// For a register with a list of choices, another choice.
        static let otherChoice = [
            "low": "high", "high": "low", "open": "closed", "closed": "open", "active": "inactive",
            "inactive": "active",
        ]

        /// Another operation of the same kind, still valid for the schema.
        static func altered(_ operation: WaypostCore.Operation) -> WaypostCore.Operation {
            switch operation {
            case .assign(let value, let dots):
                .assign(value: Self.otherChoice[value] ?? value + "x", supersedes: dots)
            case .insert(let element): .insert(element: element == "fr" ? "de" : "fr")
            case .remove(let element, _): .remove(element: element, supersedes: [])
            case .increment(let amount): .increment(by: amount + 1)
            case .append(let entry): .append(entry: entry + "!")
            }
        }
    }
}
