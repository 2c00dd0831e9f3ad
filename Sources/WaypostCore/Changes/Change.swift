/// One change to one field of one record, made by one node: the unit that replicas store, exchange and
/// merge.
public struct Change: Sendable, Hashable {
    /// Which node made it, and its sequence number there.
    public let dot: Dot
    /// When, on the origin's hybrid logical clock.
    public let timestamp: HybridTimestamp
    /// Which collection the record is in.
    public let collection: RecordCollection
    /// Which record.
    public let record: RecordID
    /// Which field: `given_name`, or `household.KEY.given_name` for a field of an entry.
    public let field: String
    /// What it does.
    public let operation: Operation

    /// Makes a change.
    public init(
        dot: Dot, timestamp: HybridTimestamp, collection: RecordCollection, record: RecordID, field: String,
        operation: Operation
    ) {
        self.dot = dot
        self.timestamp = timestamp
        self.collection = collection
        self.record = record
        self.field = field
        self.operation = operation
    }

    /// The field this change addresses.
    public var address: FieldAddress {
        FieldAddress(collection: collection, record: record, field: field)
    }

    /// What applying this change does to a replica's state: the value it makes live (if any) and the
    /// values it overwrites or removes, at its own address only.
    public var liveValue: LiveValue? {
        switch operation {
        case .assign(let value, _): LiveValue(dot: dot, timestamp: timestamp, value: value)
        case .insert(let element): LiveValue(dot: dot, timestamp: timestamp, value: element)
        case .increment(let amount): LiveValue(dot: dot, timestamp: timestamp, value: String(amount))
        case .append(let entry): LiveValue(dot: dot, timestamp: timestamp, value: entry)
        case .remove: nil
        }
    }

    /// Checks a change received from another node against the schema: its numbers are in range
    /// (``checkNumbers()``), the field exists, the operation fits its kind, and the value is in
    /// canonical form.
    ///
    /// - Throws: ``CoreError`` saying which change is wrong and why.
    public func validate(against schema: Schema) throws(CoreError) {
        try checkNumbers()
        let path = try schema[collection].resolve(field)
        // `resolve` accepts an entry key in any case; two spellings would be two addresses for one field.
        guard path.description == field else {
            throw CoreError(
                .malformedIdentifier, "change \(dot) addresses '\(field)', which is not in canonical form (\(path))")
        }
        guard operation.fieldKind == path.kind else {
            throw CoreError(.wrongKind, "change \(dot) is a \(operation.verb) on \(path), a \(path.kind.rawValue) field")
        }
        let label = path.description
        switch operation {
        case .assign(let value, _):
            if !value.isEmpty, try path.type.canonical(value, field: label) != value {
                throw CoreError(.invalidValue, "change \(dot) writes a value of \(label) that is not in canonical form")
            }
        case .insert(let element), .remove(let element, _):
            if try path.type.canonical(element, field: label) != element {
                throw CoreError(.invalidValue, "change \(dot) has an element of \(label) not in canonical form")
            }
        case .increment(let amount):
            guard (-Edit.maximumIncrement...Edit.maximumIncrement).contains(amount) else {
                throw CoreError(.invalidValue, "change \(dot) adds \(amount) to \(label), beyond ±\(Edit.maximumIncrement)")
            }
        case .append(let entry):
            if path.field.members.isEmpty {
                if try path.type.canonical(entry, field: label) != entry {
                    throw CoreError(.invalidValue, "change \(dot) appends a \(label) entry not in canonical form")
                }
            } else {
                let parts = Dictionary(StructuredEntry.parts(of: entry), uniquingKeysWith: { first, _ in first })
                guard (try? Schema.structuredEntry(for: path.field, parts: parts)) == entry else {
                    throw CoreError(.invalidValue, "change \(dot) appends a \(label) entry that is not a valid structured record")
                }
            }
        }
    }

    /// Checks the numbers of a change received from another node: its sequence number and those of the
    /// dots it supersedes are 1 to ``Dot/maximumSequence``, so that a replica can store every one of
    /// them (`Protocol/bundle.md` §2, "Numbers"). A change whose value was erased is checked too.
    ///
    /// - Throws: ``CoreError`` `outOfRange`.
    public func checkNumbers() throws(CoreError) {
        try Dot.check(sequence: dot.sequence, of: "a change of node \(dot.origin.short)")
        for superseded in operation.supersedes {
            try Dot.check(
                sequence: superseded.sequence, of: "change \(dot) supersedes a dot of node \(superseded.origin.short) that")
        }
    }
}

/// One field of one record: where a change applies and where live values sit.
public struct FieldAddress: Sendable, Hashable, Comparable {
    /// The record's collection.
    public let collection: RecordCollection
    /// The record.
    public let record: RecordID
    /// The field path, as in ``Change/field``.
    public let field: String

    /// Names a field of a record.
    public init(collection: RecordCollection, record: RecordID, field: String) {
        self.collection = collection
        self.record = record
        self.field = field
    }

    public static func < (lhs: FieldAddress, rhs: FieldAddress) -> Bool {
        (lhs.collection, lhs.record, lhs.field) < (rhs.collection, rhs.record, rhs.field)
    }
}
