import Foundation
import GRDB
public import WaypostCore
import WaypostTrust

extension SQLiteReplica {
    /// Everything this replica has seen, per origin.
    public func versions() throws(StoreError) -> VersionVector {
        try read { db in try OriginTable(db).versions }
    }

    /// A record as a person sees it, or nil if the replica does not hold it.
    public func view(_ collection: RecordCollection, _ record: RecordID) throws(StoreError) -> RecordView? {
        let schema = self.schema
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM records WHERE collection = ? AND record = ?)",
                arguments: [Int64(collection.rawValue), record.text]) ?? false
            guard exists else { return nil }
            return try RecordStateRow.view(
                of: .init(collection: collection, record: record), db, origins: OriginTable(db), keyring: keyring, schema: schema)
        }
    }

    /// Every record of a collection, by id.
    public func views(_ collection: RecordCollection) throws(StoreError) -> [RecordView] {
        let schema = self.schema
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            var views: [RecordView] = []
            for record in try String.fetchAll(
                db, sql: "SELECT record FROM records WHERE collection = ? ORDER BY record", arguments: [Int64(collection.rawValue)])
            {
                views.append(
                    try RecordStateRow.view(
                        of: FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record)), db, origins: origins,
                        keyring: keyring, schema: schema))
            }
            return views
        }
    }

    /// Finds the one record whose id starts with `prefix` (dashes and case ignored), so people can type
    /// the first few characters of an id.
    ///
    /// - Throws: ``StoreError`` `notFound` or `ambiguous`, naming the candidates.
    public func findRecord(_ collection: RecordCollection, prefix: String) throws(StoreError) -> RecordID {
        let compact = prefix.lowercased().filter { $0 != "-" }
        guard !compact.isEmpty, compact.allSatisfy({ $0.isLetter || $0.isNumber }) else {
            throw StoreError(.invalid, "'\(prefix)' is not a record id; ids look like k7f3-m2q4-x4c2-ab5d")
        }
        let matches = try read { db in
            try String.fetchAll(
                db, sql: "SELECT record FROM records WHERE collection = ? AND replace(record, '-', '') LIKE ? LIMIT 6",
                arguments: [Int64(collection.rawValue), compact + "%"])
        }
        switch matches.count {
        case 0:
            if let erasure = try erasure(collection, prefix: compact) {
                throw StoreError(
                    .notFound,
                    "\(collection) \(erasure.record) was erased by node \(erasure.directive.issuer.short) at "
                        + "\(HybridTimestamp(milliseconds: erasure.directive.issuedAt)): \"\(erasure.directive.reason)\"; nothing of it is kept")
            }
            throw StoreError(.notFound, "no \(collection) with id \(prefix); see 'waypost \(collection) list'")
        case 1: return RecordID(canonical: matches[0])
        default:
            throw StoreError(
                .ambiguous, "'\(prefix)' matches several records (\(matches.prefix(5).joined(separator: ", "))); type more of the id")
        }
    }

    /// The erase directive that erased the record of `collection` whose compact id starts with `compact`, if any.
    private func erasure(_ collection: RecordCollection, prefix compact: String) throws(StoreError)
        -> (record: RecordID, directive: Directive)?
    {
        try read { db in
            for directive in try DirectiveTables.all(db) {
                guard case .erase(let erasedCollection, let record) = directive.kind, erasedCollection == collection,
                    record.text.filter({ $0 != "-" }).hasPrefix(compact)
                else { continue }
                return (record, directive)
            }
            return nil
        }
    }

    /// One conflicted field: where it is and its concurrent values, the shown one first.
    public struct Conflict: Sendable, Hashable {
        /// The record's collection.
        public let collection: RecordCollection
        /// The record.
        public let record: RecordID
        /// The field path (`given_name` or `household.KEY.given_name`).
        public let field: String
        /// Every concurrent value, the shown one first.
        public let values: [LiveValue]
    }

    /// Every conflicted field in the replica, by collection, record and field.
    public func conflicts() throws(StoreError) -> [Conflict] {
        let schema = self.schema
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            var result: [Conflict] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT DISTINCT collection, record FROM shown WHERE conflicted > 0 ORDER BY collection, record")
            {
                guard let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: row[0] as Int64)) else { continue }
                let key = FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: row[1]))
                let view = try RecordStateRow.view(of: key, db, origins: origins, keyring: keyring, schema: schema)
                for conflict in view.conflicts {
                    result.append(
                        Conflict(collection: collection, record: key.record, field: conflict.field, values: conflict.values))
                }
            }
            return result
        }
    }

    /// The history of changes, oldest first: of one record, or of the whole replica (the latest
    /// `limit`).
    public func history(of record: FieldAddress.RecordKey? = nil, limit: Int = 1000) throws(StoreError) -> [Change] {
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            let rows: [Row]
            if let record {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(ChangeRow.columns) FROM changes c WHERE c.collection = ? AND c.record = ?
                        ORDER BY c.timestamp DESC, c.origin DESC, c.sequence DESC LIMIT ?
                        """,
                    arguments: [Int64(record.collection.rawValue), record.record.text, limit])
            } else {
                rows = try Row.fetchAll(
                    db,
                    sql: "SELECT \(ChangeRow.columns) FROM changes c ORDER BY c.timestamp DESC, c.origin DESC, c.sequence DESC LIMIT ?",
                    arguments: [limit])
            }
            return try rows.reversed().map { try ChangeRow.decode($0, origins: origins, keyring: keyring, db) }
        }
    }

    /// Every change the holder of `seen` lacks, each origin's in sequence order, with the record keys
    /// those changes introduce and the signatures at them: a batch another node can verify. Its cost
    /// follows the number of changes returned, not the size of the replica. A revoked origin's changes
    /// after its revocation's last accepted sequence are left out.
    ///
    /// With a `limit`, the batch holds about that many changes: it stops at the first origin signature at
    /// or after the limit (at most 1,023 changes past it), so the receiver can verify and apply all of
    /// it. Asking again with the batch's changes added to `seen` gives the next batch. With
    /// `endAtSignature` false, it stops at the limit exactly (for changes too large to batch otherwise;
    /// the receiver holds the unsigned tail back until the rest of its run arrives).
    public func changes(after seen: VersionVector, limit: Int? = nil, endAtSignature: Bool = true) throws(StoreError)
        -> ChangeBatch
    {
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            // A revoked origin's changes after its last accepted sequence are not passed on (trust.md §7.4).
            let ceilings = try DirectiveTables.ceilings(db)
            var batch = ChangeBatch()
            var remaining = limit ?? Int.max
            for (node, entry) in origins.byNode.sorted(by: { $0.key < $1.key }) {
                let top = min(entry.sequence, ceilings[node] ?? .max)
                guard top > seen[node] else { continue }
                guard remaining > 0 else { break }
                var upper = top
                if top - seen[node] > UInt64(remaining) {
                    let cut = seen[node] + UInt64(remaining)
                    let signed = try Int64.fetchOne(
                        db, sql: "SELECT MIN(sequence) FROM signatures WHERE origin = ? AND sequence >= ?",
                        arguments: [entry.id, Int64(cut)])
                    upper = endAtSignature ? min(signed.map(UInt64.init) ?? top, top) : cut
                }
                try db.cachedStatement(
                    sql: """
                        SELECT \(ChangeRow.columns), k.key, s.signature, c.digest FROM changes c
                        LEFT JOIN record_keys k ON k.origin = c.origin AND k.introduced = c.sequence
                        LEFT JOIN signatures s ON s.origin = c.origin AND s.sequence = c.sequence
                        WHERE c.origin = ? AND c.sequence > ? AND c.sequence <= ? ORDER BY c.sequence
                        """
                ).forEachRow(.integer(entry.id), .integer(Int64(seen[node])), .integer(Int64(upper))) { row in
                    let change = try ChangeRow.decode(row, origins: origins, keyring: keyring, db)
                    batch.changes.append(change)
                    if let key = row.blob(9) {
                        batch.recordKeys[change.dot] = try keyring.openChainKey(
                            key, of: FieldAddress.RecordKey(collection: change.collection, record: change.record), origin: entry.id,
                            introduced: row.integer(1))
                    }
                    if let signature = row.blob(10) { batch.signatures[change.dot] = signature }
                    if let digest = row.blob(11) { batch.erasedDigests[change.dot] = digest }
                    remaining -= 1
                }
            }
            return batch
        }
    }

    /// The canonical export of the replica's state (``WaypostCore/CanonicalState``): the same bytes on
    /// every replica that holds the same changes.
    public func canonicalExport() throws(StoreError) -> String {
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            var live: [(FieldAddress, LiveValue)] = []
            for key in try SQLiteReplica.recordKeys(db) {
                guard let state = try RecordStateRow.load(key, db, keyring: keyring) else { continue }
                for (field, values) in try state.liveValues(origins: origins) {
                    let address = FieldAddress(collection: key.collection, record: key.record, field: field)
                    for value in values { live.append((address, value)) }
                }
            }
            return CanonicalState.export(versions: origins.versions, live: live)
        }
    }

    /// Recomputes every record's shown values from its live values (what the `cases` and `services` views
    /// show): a repair, and in tests the reference that incremental updates are held to.
    func rebuildShownValues() throws(StoreError) {
        let schema = self.schema
        let storage = try unlockedStorageKey()
        try write { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            for key in try SQLiteReplica.recordKeys(db) {
                var state = try RecordStateRow.load(key, db, keyring: keyring) ?? RecordState()
                let view = RecordView(
                    collection: key.collection, id: key.record, live: try state.liveValues(origins: origins), schema: schema)
                state.shown.update(from: view, schema: schema)
                try RecordStateRow.save(state, of: key, db, keyring: keyring)
            }
        }
    }

    /// Every record the replica holds, in collection and id order.
    static func recordKeys(_ db: Database) throws -> [FieldAddress.RecordKey] {
        try Row.fetchAll(db, sql: "SELECT collection, record FROM records ORDER BY collection, record").compactMap { row in
            RecordCollection(rawValue: UInt8(truncatingIfNeeded: row[0] as Int64)).map {
                FieldAddress.RecordKey(collection: $0, record: RecordID(canonical: row[1]))
            }
        }
    }

    /// Counts for `status`.
    public struct Statistics: Sendable, Hashable {
        /// Records per collection.
        public let records: [RecordCollection: Int]
        /// Changes held, from every origin.
        public let changes: Int
        /// Conflicted fields.
        public let conflicts: Int
        /// For each origin, its highest sequence and latest timestamp seen.
        public let origins: [NodeID: (sequence: UInt64, latest: HybridTimestamp)]

        public static func == (lhs: Statistics, rhs: Statistics) -> Bool {
            lhs.records == rhs.records && lhs.changes == rhs.changes && lhs.conflicts == rhs.conflicts
        }
        public func hash(into hasher: inout Hasher) { hasher.combine(changes) }
    }

    /// Counts of records, changes and conflicts, and what is known of each origin.
    public func statistics() throws(StoreError) -> Statistics {
        try read { db in
            var records: [RecordCollection: Int] = [:]
            for collection in RecordCollection.allCases {
                records[collection] = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM records WHERE collection = ?", arguments: [Int64(collection.rawValue)]) ?? 0
            }
            let changes = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes") ?? 0
            let conflicts = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(conflicted), 0) FROM shown") ?? 0
            let origins = try OriginTable(db).byNode.mapValues {
                (sequence: $0.sequence, latest: HybridTimestamp(rawValue: $0.latestTimestamp))
            }
            return Statistics(records: records, changes: changes, conflicts: conflicts, origins: origins)
        }
    }
}
