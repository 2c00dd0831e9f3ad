import GRDB
public import WaypostCore

extension SQLiteReplica {
    /// Creates a record with the given edits (plus the collection's defaults for fields not given),
    /// as changes of this node, in one transaction.
    ///
    /// - Returns: the new record's id and the changes made.
    public func create(_ collection: RecordCollection, edits: [Edit], id: RecordID = .random()) throws(StoreError)
        -> (id: RecordID, changes: [Change])
    {
        var all = edits
        let collectionSchema = schema[collection]
        for (field, value) in collectionSchema.defaults.sorted(by: { $0.key < $1.key })
        where !edits.contains(where: { $0.path.field.name == field }) {
            do {
                all.insert(try Edit(parsing: "\(field)=\(value)", in: collectionSchema), at: 0)
            } catch { throw StoreError(error) }
        }
        guard !all.isEmpty else { throw StoreError(.invalid, "give at least one FIELD=VALUE for the new \(collection)") }
        let changes = try write(all, to: id, in: collection, mustExist: false)
        return (id, changes)
    }

    /// Changes fields of an existing record, as changes of this node, in one transaction.
    ///
    /// A register write overwrites exactly the values this node sees (so resolving a conflict is a
    /// write like any other); a set remove takes away the adds this node sees.
    ///
    /// - Returns: the changes made (none if every edit was already true).
    /// - Throws: ``StoreError`` `notFound` for a record this replica does not hold; `invalid` for an
    ///   edit that does not apply (removing an element that is not there). Nothing is written.
    public func update(_ collection: RecordCollection, _ record: RecordID, edits: [Edit]) throws(StoreError) -> [Change] {
        try write(edits, to: record, in: collection, mustExist: true)
    }

    private func write(_ edits: [Edit], to record: RecordID, in collection: RecordCollection, mustExist: Bool)
        throws(StoreError) -> [Change]
    {
        let wall = wallClock()
        let localNode = self.localNode
        return try write { db in
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM records WHERE collection = ? AND record = ?)",
                arguments: [Int64(collection.rawValue), record.text]) ?? false
            if mustExist && !exists {
                throw StoreError(.notFound, "no \(collection) \(record) in this replica; see 'waypost \(collection) list'")
            }
            if !mustExist && exists {
                throw StoreError(.alreadyExists, "\(collection) \(record) exists already")
            }
            var context = try ApplyContext(db, replica: self)
            var changes: [Change] = []
            for edit in edits {
                let address = FieldAddress(collection: collection, record: record, field: edit.path.description)
                guard let operation = try edit.operation(seeing: context.liveValues(at: address, db)) else { continue }
                let change = Change(
                    dot: Dot(origin: localNode, sequence: context.origins.sequence(of: localNode) + 1),
                    timestamp: context.clock.tick(wallMilliseconds: wall), collection: collection, record: record,
                    field: edit.path.description, operation: operation)
                try context.applyNext(change, db)
                changes.append(change)
            }
            try context.finish(db)
            return changes
        }
    }
}
