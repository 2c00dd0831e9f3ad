import GRDB
public import WaypostCore
public import WaypostCrypto
import WaypostTrust

extension SQLiteReplica {
    /// Creates a record with the given edits (plus the collection's defaults for fields not given),
    /// as changes of this node, in one transaction.
    ///
    /// - Returns: the new record's id and the changes made.
    public func create(
        _ collection: RecordCollection, edits: [Edit], id: RecordID = .random(), signer: SigningKeyPair
    ) throws(StoreError) -> (id: RecordID, changes: [Change]) {
        let changes = try write(
            [RecordWrite(record: id, edits: try withDefaults(edits, collection), mustExist: false)], in: collection,
            signer: signer)
        return (id, changes)
    }

    /// Creates many records in one transaction, as a data-entry import does: all or none.
    ///
    /// - Returns: the new records' ids, in the order given.
    public func createMany(_ collection: RecordCollection, records: [[Edit]], signer: SigningKeyPair) throws(StoreError)
        -> [RecordID]
    {
        var writes: [RecordWrite] = []
        for edits in records {
            writes.append(RecordWrite(record: .random(), edits: try withDefaults(edits, collection), mustExist: false))
        }
        _ = try write(writes, in: collection, signer: signer)
        return writes.map(\.record)
    }

    /// Changes fields of many existing records in one transaction: all or none.
    public func updateMany(_ collection: RecordCollection, _ updates: [(record: RecordID, edits: [Edit])], signer: SigningKeyPair)
        throws(StoreError) -> [Change]
    {
        try write(updates.map { RecordWrite(record: $0.record, edits: $0.edits, mustExist: true) }, in: collection, signer: signer)
    }

    private func withDefaults(_ edits: [Edit], _ collection: RecordCollection) throws(StoreError) -> [Edit] {
        var all = edits
        let collectionSchema = schema[collection]
        for (field, value) in collectionSchema.defaults.sorted(by: { $0.key < $1.key })
        where !edits.contains(where: { $0.path.field.name == field }) {
            do {
                all.insert(try Edit(parsing: "\(field)=\(value)", in: collectionSchema), at: 0)
            } catch { throw StoreError(error) }
        }
        guard !all.isEmpty else { throw StoreError(.invalid, "give at least one FIELD=VALUE for the new \(collection)") }
        return all
    }

    /// Changes fields of an existing record, as changes of this node, in one transaction.
    ///
    /// A register write overwrites exactly the values this node sees (so resolving a conflict is a
    /// write like any other); a set remove takes away the adds this node sees.
    ///
    /// - Returns: the changes made (none if every edit was already true).
    /// - Throws: ``StoreError`` `notFound` for a record this replica does not hold; `invalid` for an
    ///   edit that does not apply (removing an element that is not there). Nothing is written.
    ///
    /// An edit of an entry field (`household.KEY.given_name`) names an entry the record has, by its key or
    /// the key's first characters, as record ids are named; only `addingEntry`, the key of the entry this
    /// write adds (`waypost case entry`), may be new. A mistyped key is refused, naming the record's entries,
    /// rather than made into a new entry.
    ///
    /// - Throws: also `notFound` for an entry key that names no entry of the record, `ambiguous` for one
    ///   that names several.
    public func update(
        _ collection: RecordCollection, _ record: RecordID, edits: [Edit], addingEntry: EntryKey? = nil,
        signer: SigningKeyPair
    ) throws(StoreError) -> [Change] {
        try write(
            [RecordWrite(record: record, edits: edits, mustExist: true, addingEntry: addingEntry)], in: collection,
            signer: signer)
    }

    /// Removes an entry (a household member, a referral): clears every member field that has a value, so
    /// that the entry is no longer shown (`Protocol/merge.md` §4). A member edited concurrently elsewhere
    /// keeps that value, and the entry shows again with it, as a conflict: nothing is lost.
    ///
    /// - Parameter key: the entry's key or its first characters.
    /// - Returns: the entry's full key and the changes made.
    /// - Throws: ``StoreError`` `notFound` or `ambiguous` for a key that names no entry or several.
    public func removeEntry(
        _ collection: RecordCollection, _ record: RecordID, field: String, key: EntryKey, signer: SigningKeyPair
    ) throws(StoreError) -> (key: EntryKey, changes: [Change]) {
        let spec: FieldSpec
        do { spec = try schema[collection].field(named: field) } catch { throw StoreError(error) }
        guard spec.kind == .entries else {
            throw StoreError(.invalid, "\(field) holds no entries; entry fields are \(schema[collection].fields.filter { $0.kind == .entries }.map(\.name).joined(separator: ", "))")
        }
        guard let current = try view(collection, record) else {
            throw StoreError(.notFound, "no \(collection) \(record) in this replica; see 'waypost \(collection) list'")
        }
        let full = try Self.entry(key, of: field, in: current.entryKeys(of: field), collection: collection, record: record)
        let filled = current.entryMembers(of: field, key: full).filter { !$0.value.allSatisfy(\.value.isEmpty) }.map(\.key)
        let collectionSchema = schema[collection]
        let edits = filled.sorted().compactMap { member in
            (try? collectionSchema.resolve("\(spec.name).\(full.text).\(member)")).map { Edit(path: $0, action: .assign("")) }
        }
        return (full, try update(collection, record, edits: edits, signer: signer))
    }

    /// The entry that `typed` names among `existing`, or the error naming the record's entries.
    static func entry(
        _ typed: EntryKey, of field: String, in existing: Set<EntryKey>, collection: RecordCollection, record: RecordID
    ) throws(StoreError) -> EntryKey {
        switch typed.match(among: existing) {
        case .entry(let key): return key
        case .none:
            let known = existing.isEmpty ? "it has none" : "its \(field) entries: " + existing.sorted().map(\.text).joined(separator: ", ")
            throw StoreError(
                .notFound,
                "\(collection) \(record) has no \(field) entry '\(typed)' (\(known)); nothing was written; add an entry with "
                    + "'waypost \(collection) entry \(record) \(field) FIELD=VALUE'")
        case .ambiguous(let keys):
            throw StoreError(
                .ambiguous,
                "'\(typed)' matches several \(field) entries of \(collection) \(record) (\(keys.map(\.text).joined(separator: ", "))); "
                    + "type more of the key; nothing was written")
        }
    }

    /// The edits of one record in a local write.
    private struct RecordWrite: Sendable {
        let record: RecordID
        let edits: [Edit]
        let mustExist: Bool
        /// The key of the entry this write adds, which alone may name no existing entry.
        var addingEntry: EntryKey? = nil
    }

    /// How many changes a node writes between two signatures of its chain, so that a relay can pass on
    /// a long import in bounded, verifiable batches.
    public static let signatureInterval = 1024

    private func write(_ writes: [RecordWrite], in collection: RecordCollection, signer: SigningKeyPair)
        throws(StoreError) -> [Change]
    {
        guard signer.publicKey == localNode else {
            throw StoreError(.invalid, "the key given to sign with is not this replica's node key")
        }
        let wall = wallClock()
        let localNode = self.localNode
        let key = try unlockedStorageKey()
        return try write { db in
            // A node restored from a backup signs nothing until resumed (`Protocol/backup.md` §4).
            try WriteGate.requireOpen(db, node: localNode, key: key)
            var context = try ApplyContext(db, replica: self)
            var changes: [Change] = []
            var head = context.origins.head(of: localNode)
            for write in writes {
                let record = write.record
                let exists = try context.keyring.statements(.selectCreated, db)
                    .hasRow(.integer(Int64(collection.rawValue)), .text(record.text))
                if write.mustExist && !exists {
                    throw StoreError(.notFound, "no \(collection) \(record) in this replica; see 'waypost \(collection) list'")
                }
                if !write.mustExist && exists {
                    throw StoreError(.alreadyExists, "\(collection) \(record) exists already")
                }
                // This node's chain key for the record: made by the first change to it, then kept.
                var chainKey = try context.recordKey(
                    ApplyContext.RecordKeyAddress(origin: localNode, collection: collection, record: record), db)
                var written: Set<String> = []
                for typed in write.edits {
                    var edit = typed
                    if let key = typed.path.entry, key != write.addingEntry {
                        let recordKey = FieldAddress.RecordKey(collection: collection, record: record)
                        let existing = exists ? try context.entryKeys(of: typed.path.field.name, in: recordKey, db) : []
                        edit = Edit(
                            path: typed.path.inEntry(
                                try Self.entry(key, of: typed.path.field.name, in: existing, collection: collection, record: record)),
                            action: typed.action)
                    }
                    let field = edit.path.description
                    let address = FieldAddress(collection: collection, record: record, field: field)
                    // A record created here has no live values yet, unless this write set the field already.
                    let seen = exists || written.contains(field) ? try context.liveValues(at: address, db) : []
                    written.insert(field)
                    guard let operation = try edit.operation(seeing: seen) else { continue }
                    let change = Change(
                        dot: Dot(origin: localNode, sequence: context.origins.sequence(of: localNode) + 1),
                        timestamp: context.clock.tick(wallMilliseconds: wall), collection: collection, record: record,
                        field: field, operation: operation)
                    let existingKey = chainKey
                    let key = existingKey ?? Random.bytes(ChangeChain.recordKeyLength)
                    chainKey = key
                    head = ChangeChain.head(
                        after: head, leaf: ChangeChain.leaf(of: change, recordKey: key, introducesKey: existingKey == nil))
                    let signature =
                        change.dot.sequence % UInt64(SQLiteReplica.signatureInterval) == 0
                        ? ChangeChain.sign(at: change.dot, head: head, with: signer) : nil
                    try context.applyNext(
                        change, head: head, recordKey: existingKey == nil ? key : nil, signature: signature, db)
                    changes.append(change)
                }
            }
            // Every write ends at a signed head, so what it wrote can be passed on and verified.
            if let last = changes.last, last.dot.sequence % UInt64(SQLiteReplica.signatureInterval) != 0 {
                try context.sign(last.dot, head: head, with: signer, db)
            }
            try context.finish(db)
            return changes
        }
    }
}
