import Foundation
import GRDB
public import WaypostCore
public import WaypostTrust
import WaypostCrypto

extension SQLiteReplica {
    /// Merges changes from another node (or relayed through one), all in one transaction.
    ///
    /// In order, and refusing the whole batch at the first failure:
    /// 1. every change must fit the schema, and its sequence number and superseded dots must be 1 to
    ///    ``WaypostCore/Dot/maximumSequence`` (``WaypostCore/Change/checkNumbers()``), so that each is stored
    ///    as it is;
    /// 2. the `certificates` that can count here are stored (each was checked against its issuer when
    ///    decoded; ``WaypostTrust/CertificateAdmission`` decides which), the others counted;
    /// 3. `directives` are judged: those whose issuer is an admin here are stored and take effect (a
    ///    revocation at once, for the checks below), the others are refused and counted
    ///    (`Protocol/trust.md` §7);
    /// 4. the sender, if given, must be trusted and not revoked. An origin must be trusted (this node, a
    ///    pairwise peer, or a member of a joined network) for its changes to apply: an untrusted origin's
    ///    are skipped and counted (``ApplyReport/untrustedOrigins``) while the others' apply. A revoked
    ///    origin's changes after its last accepted sequence are dropped and counted, and its earlier ones
    ///    are judged as a trusted origin's if it has a grant;
    /// 5. each origin's new changes must continue its hash chain from what this replica holds, and
    ///    every signature given must verify against the chain head (`Protocol/trust.md` §2).
    ///
    /// Changes up to each origin's last valid signature are merged with the rules of
    /// ``WaypostCore/ReplicaModel``; changes whose predecessors are missing, or that follow the last
    /// signature, wait in the `pending` table until what they need arrives. A change already held is
    /// skipped.
    ///
    /// - Throws: ``StoreError`` `invalid`, `untrusted`, `forged`, `diskFull` or `database`; in every case
    ///   nothing was applied, not even the certificates and directives.
    public func apply(
        _ batch: ChangeBatch, certificates: [Certificate] = [], directives: [Directive] = [], from sender: NodeID? = nil
    ) throws(StoreError) -> ApplyReport {
        for change in batch.changes {
            if let digest = batch.erasedDigests[change.dot] {
                // An erased change's value is gone; what remains must still name a field of the schema.
                guard digest.count == 32 else {
                    throw StoreError(.invalid, "change \(change.dot) carries an erased value's digest of \(digest.count) bytes, not 32")
                }
                do {
                    try change.checkNumbers()
                    _ = try schema[change.collection].resolve(change.field)
                } catch { throw StoreError(error) }
                continue
            }
            do { try change.validate(against: schema) } catch { throw StoreError(error) }
        }
        let wall = wallClock()
        let localNode = self.localNode
        let storageKey = self.storageKey
        let report = try write { db in
            let (newCertificates, refusedCertificates) = try TrustTables.store(certificates, local: localNode, db)
            var trust = try TrustTables.registry(db, local: localNode)
            var report = ApplyReport()
            report.certificatesRefused = refusedCertificates
            let admission = try DirectiveTables.admit(directives, trust: &trust, now: wall, db)
            let renewed =
                (newCertificates > 0 ? [TrustSeal.certificates] : [])
                + (admission.accepted.isEmpty && admission.withoutEffect.isEmpty ? [] : [TrustSeal.directives])
            if !renewed.isEmpty {
                guard let storageKey else { throw StoreError.locked }
                try TrustSeal.renew(renewed, db, key: storageKey)
            }
            report.directivesStored = admission.accepted.count + admission.withoutEffect.count
            report.directivesRefused = admission.refused.count
            report.refusedIssuers = Set(admission.refused.map(\.directive.issuer))
            report.revoked = Set(admission.accepted.compactMap(\.revokedNode))
            report.discarded += admission.discardedPending
            if let sender, !trust.trusts(sender) {
                if let revocation = trust.revocations(of: sender).first {
                    throw StoreError(
                        .untrusted,
                        "the bundle comes from node \(sender), which \(revocation.issuer.short) revoked: "
                            + "\"\(revocation.reason)\"; nothing was applied")
                }
                throw StoreError(
                    .untrusted,
                    "the bundle comes from node \(sender), which this node does not trust; nothing was applied "
                        + "(add it with 'waypost peer add', or join a network that enrolled it)")
            }
            var byOrigin: [NodeID: [Change]] = [:]
            if let first = batch.changes.first, batch.changes.allSatisfy({ $0.dot.origin == first.dot.origin }) {
                // One origin, as from a node's own export: its array as it is, no change copied.
                byOrigin[first.dot.origin] = batch.changes
            } else {
                for change in batch.changes { byOrigin[change.dot.origin, default: []].append(change) }
            }
            for origin in byOrigin.keys.sorted() {
                guard let lastAccepted = trust.lastAccepted(of: origin) else { continue }
                let changes = byOrigin[origin]!
                let kept = changes.filter { $0.dot.sequence <= lastAccepted }
                report.refusedBeyondRevocation += changes.count - kept.count
                byOrigin[origin] = kept.isEmpty ? nil : kept
            }
            // Changes of an origin this node does not trust are skipped, not applied, and reported; the
            // others' apply. Its versions here do not move, so they come again once it is trusted.
            for origin in byOrigin.keys.sorted() where !trust.isGranted(origin) {
                report.untrustedOrigins[origin] = byOrigin[origin]!.count
                byOrigin[origin] = nil
            }
            var context = try ApplyContext(db, replica: self)
            for origin in byOrigin.keys.sorted() {
                try context.advance(origin, incoming: byOrigin[origin]!, batch: batch, wall: wall, report: &report, db)
            }
            for directive in admission.accepted {
                if case .erase(let collection, let record) = directive.kind {
                    try context.erase(FieldAddress.RecordKey(collection: collection, record: record), db)
                    report.erasedRecords += 1
                }
            }
            report.droppedForErasure = context.arrivalsForErased
            try context.finish(db)
            return report
        }
        if report.erasedRecords > 0 { try purgeWriteAheadLog() }
        return report
    }

    /// Moves everything in the WAL into the database file and truncates the WAL to nothing, so that pages
    /// holding erased values (`secure_delete` zeroed them in the database) leave no copy in the WAL.
    func purgeWriteAheadLog() throws(StoreError) {
        try SQLiteReplica.run { try database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
    }
}

/// A change waiting to be verified and applied, with what the chain needs.
struct ChainedChange {
    let change: Change
    let recordKey: [UInt8]?
    let signature: [UInt8]?
    /// For a change whose value its sender had erased: the value's digest, which stands for it in the chain.
    var digest: [UInt8]? = nil
}

/// The state of one applying transaction: the origin table, the clock, record keys, and the records
/// changed, whose states (live and shown values) are written back before it commits.
struct ApplyContext {
    var origins: OriginTable
    var clock: HybridClock
    /// The records changed in this transaction and not written back yet: each one's state, the earliest
    /// timestamp of its changes in it and the top-level fields changed (only their shown values are
    /// rewritten).
    var touched: [FieldAddress.RecordKey: Touch] = [:]
    /// The records erased here: changes to them that arrive later are kept only as digests
    /// (`Protocol/replica.md` §9.4).
    var erased: Set<FieldAddress.RecordKey>
    /// Changes to erased records that arrived in this transaction, their values dropped.
    var arrivalsForErased = 0
    /// The record being changed, out of `touched`: consecutive changes are mostly to one record, and a
    /// dictionary lookup per change costs more than the change to its state.
    var lastTouch: (key: FieldAddress.RecordKey, touch: Touch)?
    /// How many touched records are held before they are written back, before the end of the
    /// transaction: this bounds the memory a large import holds.
    static let touchedRecordsPerFlush = 4096

    /// What one transaction did to one record.
    struct Touch {
        /// The record's state, as of the changes applied so far.
        var state: RecordState
        /// Whether the record had no state before this transaction.
        let isNew: Bool
        var earliest = UInt64.max
        /// A few names at most, so a list searched in order is cheaper than a set.
        var fields: [Substring] = []

        mutating func note(_ change: Change) {
            earliest = min(earliest, change.timestamp.rawValue)
            let field = RecordState.topLevelName(of: change.field)
            if fields.last != field, !fields.contains(field) { fields.append(field) }
        }
    }
    private var recordKeys: [RecordKeyAddress: [UInt8]] = [:]
    private let schema: Schema

    struct RecordKeyAddress: Hashable {
        let origin: NodeID
        let collection: RecordCollection
        let record: RecordID
    }

    /// The keys values are sealed with.
    let keyring: Keyring
    /// How many changes may wait in `pending`.
    private let pendingLimits: PendingLimits
    /// The storage key, which arrivals are tagged with (``ArrivalTable``).
    private let storageKey: StorageKey
    /// This node's wall clock as the transaction began: when it learns of what it applies.
    private let arrivalTime: UInt64

    init(_ db: Database, replica: SQLiteReplica) throws {
        storageKey = try replica.unlockedStorageKey()
        keyring = Keyring(storageKey)
        arrivalTime = replica.wallClock()
        pendingLimits = replica.pendingLimits
        origins = try OriginTable(db)
        let clockValue = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'clock'") ?? 0
        clock = HybridClock(latest: HybridTimestamp(rawValue: UInt64(bitPattern: clockValue)))
        schema = replica.schema
        erased = try DirectiveTables.erasedRecords(db)
    }

    /// Makes `key` the record being changed, its state loaded if this transaction had not touched it.
    mutating func touch(_ key: FieldAddress.RecordKey, _ db: Database) throws {
        if lastTouch?.key == key { return }
        if let last = lastTouch { touched[last.key] = last.touch }
        lastTouch = nil
        if touched.count >= Self.touchedRecordsPerFlush, touched[key] == nil { try showTouched(db) }
        if let touch = touched.removeValue(forKey: key) {
            lastTouch = (key, touch)
        } else {
            let state = try RecordStateRow.load(key, db, keyring: keyring)
            lastTouch = (key, Touch(state: state ?? RecordState(), isNew: state == nil))
        }
    }

    /// Verifies and applies what it can of one origin's changes: those of the batch, and those that
    /// were waiting for them.
    mutating func advance(
        _ origin: NodeID, incoming changes: [Change], batch: ChangeBatch, wall: UInt64, report: inout ApplyReport,
        _ db: Database
    ) throws {
        let applied = origins.sequence(of: origin)
        // The new changes in the order given; almost always each one continues the one before.
        var fresh: [ChainedChange] = []
        fresh.reserveCapacity(changes.count)
        var inOrder = true
        for change in changes {
            if change.dot.sequence <= applied {
                report.duplicates += 1
                continue
            }
            if change.dot.sequence != applied + UInt64(fresh.count) + 1 { inOrder = false }
            fresh.append(
                ChainedChange(
                    change: change, recordKey: batch.recordKeys[change.dot],
                    signature: batch.signatures.isEmpty ? nil : batch.signatures[change.dot],
                    digest: batch.erasedDigests.isEmpty ? nil : batch.erasedDigests[change.dot]))
        }
        guard !fresh.isEmpty else { return }
        let waiting = try PendingTable.load(origin, db, origins: origins, keyring: keyring)
        let incoming = { Dictionary(fresh.map { ($0.change.dot.sequence, $0) }) { _, new in new } }

        // nil when `fresh` is itself the run to verify: nothing waits, and it continues the origin in order.
        var candidates: [UInt64: ChainedChange]?
        var run: [ChainedChange]
        if waiting.isEmpty && inOrder {
            run = fresh
        } else {
            let merged = waiting.merging(incoming()) { _, new in new }
            candidates = merged
            run = ApplyContext.contiguousRun(merged, after: applied)
        }
        // A change in digest form stands for a value only where an accepted erasure took it away: anywhere
        // else it is a relay withholding the value (`Protocol/trust.md` §7.5). It is held, with what follows
        // it, until the valued copy comes (which then replaces it) or an erasure of its record does.
        let erased = self.erased
        let isErased = { (chained: ChainedChange) in
            erased.contains(FieldAddress.RecordKey(collection: chained.change.collection, record: chained.change.record))
        }
        func cutAtWithheldValue() {
            guard let cut = run.firstIndex(where: { $0.digest != nil && !isErased($0) }) else { return }
            if candidates == nil { candidates = incoming() }
            run.removeSubrange(cut...)
            report.withheldValues += 1
        }
        cutAtWithheldValue()
        var verified: (count: Int, heads: [[UInt8]])
        var stillHeld = Set(waiting.keys)
        do {
            verified = try verify(run, of: origin, db)
        } catch is TrustError where !waiting.isEmpty {
            // Something held from an earlier bundle may be what fails: drop it and judge this batch alone.
            try PendingTable.discard(origin, db, origins: &origins)
            stillHeld = []
            report.discarded += waiting.count
            let alone = incoming()
            candidates = alone
            run = ApplyContext.contiguousRun(alone, after: applied)
            cutAtWithheldValue()
            verified = try verify(run, of: origin, db)
        }
        for index in 0..<verified.count {
            let chained = run[index]
            if !clock.observe(chained.change.timestamp, wallMilliseconds: wall) { report.originsAhead.insert(origin) }
            try applyNext(
                chained.change, head: verified.heads[index], recordKey: chained.recordKey, signature: chained.signature,
                digest: chained.digest, db)
            report.applied += 1
        }
        let appliedThrough = applied + UInt64(verified.count)
        // A held change to a record erased here is not kept, not even sealed: it comes again with its
        // predecessors (this node's versions do not count it) and is then kept only as its digest.
        let isKept = { (chained: ChainedChange) in !isErased(chained) }
        // Held only within the window after what is applied now (``PendingLimits``).
        let horizon = appliedThrough.addingReportingOverflow(pendingLimits.window)
        let isWithinWindow = { (sequence: UInt64) in horizon.overflow || sequence <= horizon.partialValue }
        let unapplied =
            if let candidates {
                candidates.filter { sequence, chained in sequence > appliedThrough && isKept(chained) }
            } else {
                Dictionary(run[verified.count...].filter(isKept).map { ($0.change.dot.sequence, $0) }) { _, new in new }
            }
        var remaining = unapplied.filter { sequence, _ in isWithinWindow(sequence) }
        // What this batch adds to the table, or replaces there (a valued copy in place of a digest, say).
        var written = Set(fresh.map(\.change.dot.sequence)).intersection(remaining.keys)
        if !written.isEmpty {
            let held = try PendingTable.count(db)
            let room = max(0, pendingLimits.total - (held - stillHeld.count))
            if remaining.count > room {
                // Over the total: keep the earliest (those that unblock the origin soonest), drop the rest.
                for sequence in remaining.keys.sorted().dropFirst(room) {
                    remaining[sequence] = nil
                    written.remove(sequence)
                }
            }
        }
        report.notHeld += unapplied.count - remaining.count
        try PendingTable.update(
            origin, remaining: remaining, held: stillHeld, written: written, db, origins: &origins, keyring: keyring)
        if !remaining.isEmpty {
            report.heldBack[origin] = (appliedThrough + 1, remaining.count)
        }
    }

    /// The changes that continue an origin's sequence after `applied`, in order.
    static func contiguousRun(_ candidates: [UInt64: ChainedChange], after applied: UInt64) -> [ChainedChange] {
        var run: [ChainedChange] = []
        var next = applied + 1
        while let chained = candidates[next] {
            run.append(chained)
            next += 1
        }
        return run
    }

    /// Recomputes the origin's chain over `run` and checks every signature in it.
    ///
    /// - Returns: how many changes, from the start of `run`, end at a valid signature, and the chain
    ///   head after each change.
    mutating func verify(_ run: [ChainedChange], of origin: NodeID, _ db: Database) throws -> (count: Int, heads: [[UInt8]]) {
        var head = origins.head(of: origin)
        var heads: [[UInt8]] = []
        var introduced: [RecordKeyAddress: [UInt8]] = [:]
        var verifiedCount = 0
        // Consecutive changes are mostly to one record: its key is kept at hand.
        var last: (collection: RecordCollection, record: RecordID, key: [UInt8]?)?
        for (index, chained) in run.enumerated() {
            let change = chained.change
            let address = RecordKeyAddress(origin: origin, collection: change.collection, record: change.record)
            let known: [UInt8]?
            if let last, last.collection == change.collection, last.record == change.record {
                known = last.key
            } else {
                known = try introduced[address] ?? recordKey(address, db)
            }
            let key: [UInt8]
            switch (known, chained.recordKey) {
            case (let known?, nil):
                key = known
            case (nil, let carried?) where carried.count == ChangeChain.recordKeyLength:
                key = carried
                introduced[address] = carried
            case (nil, _):
                throw TrustError(
                    .recordKey, "change \(change.dot) lacks the record key its chain needs; the bundle is damaged or forged",
                    origin: origin)
            case (_?, _?):
                throw TrustError(
                    .recordKey, "change \(change.dot) brings a second record key for one record; the bundle is forged",
                    origin: origin)
            }
            let leaf =
                if let digest = chained.digest {
                    ChangeChain.leaf(
                        of: change, valueDigest: digest,
                        keyCommitment: chained.recordKey != nil ? ChangeChain.keyCommitment(key) : nil)
                } else {
                    ChangeChain.leaf(of: change, recordKey: key, introducesKey: chained.recordKey != nil)
                }
            last = (change.collection, change.record, key)
            head = ChangeChain.head(after: head, leaf: leaf)
            heads.append(head)
            if let signature = chained.signature {
                guard ChangeChain.isValid(signature, at: change.dot, head: head) else {
                    throw TrustError(
                        .badSignature,
                        "the changes of node \(origin.short) up to \(change.dot.sequence) do not match its signature: "
                            + "they were altered, reordered or cut after it wrote them",
                        origin: origin)
                }
                verifiedCount = index + 1
            }
        }
        return (verifiedCount, heads)
    }

    /// The record key of (origin, record), if this replica holds one.
    mutating func recordKey(_ address: RecordKeyAddress, _ db: Database) throws -> [UInt8]? {
        if let key = recordKeys[address] { return key }
        guard let id = origins.byNode[address.origin]?.id else { return nil }
        var found: (sealed: [UInt8], introduced: Int64)?
        try keyring.statements(.selectRecordKey, db)
            .forEachRow(.integer(id), .integer(Int64(address.collection.rawValue)), .text(address.record.text)) { row in
                found = (row.blob(0) ?? [], row.integer(1))
            }
        guard let found else { return nil }
        let key = try keyring.openChainKey(
            found.sealed, of: FieldAddress.RecordKey(collection: address.collection, record: address.record), origin: id,
            introduced: found.introduced)
        recordKeys[address] = key
        return key
    }

    /// Applies a verified change that is the next one of its origin: the rules of
    /// ``WaypostCore/ReplicaModel/apply(_:)``, plus its place in the origin's chain.
    ///
    /// A change to a record erased here, or one its sender had erased (`digest`), is kept only as its
    /// value's digest, so the origin's chain stays whole and can be passed on; its value is dropped.
    mutating func applyNext(
        _ change: Change, head: [UInt8], recordKey: [UInt8]?, signature: [UInt8]?, digest: [UInt8]? = nil, _ db: Database
    ) throws {
        let origin = try origins.id(of: change.dot.origin, db)
        let collection = Int64(change.collection.rawValue)
        let record = change.record.text
        let sequence = try StoredNumber.column(change.dot.sequence, "change \(change.dot)'s sequence number")
        let supersedes = ChangeRow.encode(change.operation.supersedes)
        let key = FieldAddress.RecordKey(collection: change.collection, record: change.record)
        var erasedDigest = digest
        if erasedDigest == nil, erased.contains(key) {
            let address = RecordKeyAddress(origin: change.dot.origin, collection: change.collection, record: change.record)
            guard let chainKey = try recordKey ?? self.recordKey(address, db) else {
                throw StoreError(.database, "the record key of an erased record is missing; the replica is damaged")
            }
            erasedDigest = ChangeChain.valueDigest(change.operation.argument, recordKey: chainKey)
        }
        let sealed: [UInt8]
        if erasedDigest != nil {
            sealed = []
            arrivalsForErased += 1
        } else {
            let place = Keyring.Place(
                record: key, origin: origin, sequence: sequence, field: change.field,
                timestamp: Int64(bitPattern: change.timestamp.rawValue))
            sealed = try keyring.sealValue(change.operation.argument, at: place, db)
        }
        try keyring.statements(.insertChange, db).run(
            .integer(origin), .integer(sequence), .integer(Int64(bitPattern: change.timestamp.rawValue)), .integer(collection),
            .text(record), .text(change.field), .integer(ChangeRow.code(of: change.operation)),
            .blob(sealed), supersedes.map { .blob(Array($0)) } ?? .null, erasedDigest.map { .blob($0) } ?? .null)
        if let recordKey {
            try keyring.statements(.insertRecordKey, db).run(
                .integer(origin), .integer(collection), .text(record),
                .blob(keyring.sealChainKey(recordKey, of: key, origin: origin, introduced: sequence)), .integer(sequence))
            recordKeys[RecordKeyAddress(origin: change.dot.origin, collection: change.collection, record: change.record)] =
                recordKey
        }
        if let signature {
            try keyring.statements(.insertSignature, db).run(.integer(origin), .integer(sequence), .blob(signature))
        }
        if ArrivalTable.keepsArrival(of: change) {
            try ArrivalTable.record(
                origin: origin, node: change.dot.origin, sequence: change.dot.sequence, learnedAt: arrivalTime,
                key: storageKey, db)
        }
        guard erasedDigest == nil else {
            try origins.advance(change, head: head, db)
            return
        }
        try touch(key, db)
        let field = change.field
        for dot in change.operation.supersedes {
            let stored = RecordState.StoredDot(origin: try origins.id(of: dot.origin, db), sequence: dot.sequence)
            if origins.sequence(of: dot.origin) >= dot.sequence {
                // Applied already (each origin's changes apply in order): it can only stop being live; it
                // will never arrive again.
                lastTouch!.touch.state.removeLive(stored, field: field)
            } else {
                // Not here yet: remembered, so that it is not live when it arrives.
                lastTouch!.touch.state.supersede(stored, field: field)
            }
        }
        if let live = change.liveValue {
            // Live unless a change already applied superseded it (one that arrived first by another path).
            lastTouch!.touch.state.arrive(
                RecordState.StoredValue(
                    dot: RecordState.StoredDot(origin: origin, sequence: change.dot.sequence), timestamp: live.timestamp.rawValue,
                    value: live.value),
                field: field)
        }
        lastTouch!.touch.note(change)
        try origins.advance(change, head: head, db)
    }

    /// Signs this node's chain head at `dot` and stores the signature.
    mutating func sign(_ dot: Dot, head: [UInt8], with signer: SigningKeyPair, _ db: Database) throws {
        let origin = try origins.id(of: dot.origin, db)
        try keyring.statements(.insertSignature, db).run(
            .integer(origin), .integer(try StoredNumber.column(dot.sequence, "a signed sequence number")),
            .blob(ChangeChain.sign(at: dot, head: head, with: signer)))
    }

    /// The keys of the entries of `field` (an entries field) that `record` holds, as this transaction sees
    /// them: every key with a live value in one of its members, cleared ones included.
    mutating func entryKeys(of field: String, in record: FieldAddress.RecordKey, _ db: Database) throws -> Set<EntryKey> {
        try touch(record, db)
        let prefix = field + "."
        var keys: Set<EntryKey> = []
        for path in lastTouch!.touch.state.live.keys where path.hasPrefix(prefix) {
            let rest = path.utf8.dropFirst(prefix.utf8.count)
            guard let dot = rest.firstIndex(of: UInt8(ascii: ".")), let text = String(rest[..<dot]),
                let key = try? EntryKey(parsing: text)
            else { continue }
            keys.insert(key)
        }
        return keys
    }

    /// The live values at one address, as this transaction sees them.
    mutating func liveValues(at address: FieldAddress, _ db: Database) throws -> [LiveValue] {
        try touch(FieldAddress.RecordKey(collection: address.collection, record: address.record), db)
        return try lastTouch!.touch.state.liveValues(of: address.field, origins: origins)
    }

    /// Recomputes the shown values of every touched record and saves the clock.
    mutating func finish(_ db: Database) throws {
        try showTouched(db)
        try origins.save(db)
        try db.execute(
            sql: "UPDATE meta SET value = ? WHERE key = 'clock'", arguments: [Int64(bitPattern: clock.latest.rawValue)])
    }

    /// Recomputes the shown values of the records touched since the last time and writes their state.
    mutating func showTouched(_ db: Database) throws {
        if let last = lastTouch {
            touched[last.key] = last.touch
            lastTouch = nil
        }
        // In key order, which is the order of the tables' rows; the keys alone are sorted, not the states.
        for key in touched.keys.sorted() {
            // Taken out of the dictionary, so the state below is changed in place rather than copied.
            let touch = touched.removeValue(forKey: key)!
            let collection = Int64(key.collection.rawValue), record = key.record.text
            var created: Int64?
            try keyring.statements(.selectCreated, db)
                .forEachRow(.integer(collection), .text(record)) { row in created = row.integer(0) }
            // The earliest timestamp of any change to the record, not the first one applied here, so
            // that `created_at` does not depend on the order changes arrived in.
            let earliest = Int64(bitPattern: touch.earliest)
            if let created {
                if earliest < created {
                    try keyring.statements(.updateCreated, db).run(.integer(earliest), .integer(collection), .text(record))
                }
            } else {
                try keyring.statements(.insertRecord, db).run(.integer(collection), .text(record), .integer(earliest))
            }
            // A new record's shown values are written whole; an existing one's only where it changed.
            let only = touch.isNew ? nil : touch.fields
            var state = touch.state
            let view = RecordView(
                collection: key.collection, id: key.record, live: try state.liveValues(origins: origins, only: only), schema: schema)
            state.shown.update(from: view, schema: schema, fields: only)
            try RecordStateRow.save(state, of: key, db, keyring: keyring)
        }
        touched.removeAll(keepingCapacity: true)
    }
}
