/// The merge rules as an in-memory replica: the reference that the SQLite store is tested against,
/// and the subject of the property tests (commutativity, associativity, idempotence).
///
/// The rules, for every change `c` at field address `a`:
/// - `c`'s live value (if it has one) joins `a`'s live values, unless an already-applied change at
///   `a` superseded `c`'s dot;
/// - every dot `c` supersedes leaves `a`'s live values, and stays superseded at `a` for changes that
///   arrive later. A change can only supersede values at its own address.
///
/// Both rules are set unions, so the state depends only on the set of changes applied. Changes of
/// one origin are applied in sequence order (``ApplyOutcome/missingPredecessor(expected:)``).
public struct ReplicaModel: Sendable {
    /// What this replica has seen.
    public private(set) var versions = VersionVector()
    /// Every change applied, by dot.
    public private(set) var changes: [Dot: Change] = [:]
    private var live: [FieldAddress: [Dot: LiveValue]] = [:]
    private var superseded: Set<AddressedDot> = []

    private struct AddressedDot: Hashable, Sendable {
        let address: FieldAddress
        let dot: Dot
    }

    /// An empty replica.
    public init() {}

    /// Applies one change, if it is the next one of its origin.
    @discardableResult
    public mutating func apply(_ change: Change) -> ApplyOutcome {
        let next = versions[change.dot.origin] + 1
        if change.dot.sequence < next { return .duplicate }
        if change.dot.sequence > next { return .missingPredecessor(expected: next) }
        versions.advance(change.dot.origin, to: change.dot.sequence)
        changes[change.dot] = change
        let address = change.address
        for dot in change.operation.supersedes {
            superseded.insert(AddressedDot(address: address, dot: dot))
            live[address]?[dot] = nil
        }
        if let value = change.liveValue, !superseded.contains(AddressedDot(address: address, dot: change.dot)) {
            live[address, default: [:]][change.dot] = value
        }
        return .applied
    }

    /// The live values at one field.
    public func liveValues(at address: FieldAddress) -> [LiveValue] {
        Array((live[address] ?? [:]).values)
    }

    /// Every record that has any change, by collection and id.
    public var records: [FieldAddress.RecordKey] {
        Set(changes.values.map { FieldAddress.RecordKey(collection: $0.collection, record: $0.record) }).sorted()
    }

    /// A record as a person sees it.
    public func view(_ collection: RecordCollection, _ record: RecordID, schema: Schema) -> RecordView {
        var fields: [String: [LiveValue]] = [:]
        for (address, values) in live where address.collection == collection && address.record == record {
            fields[address.field] = Array(values.values)
        }
        return RecordView(collection: collection, id: record, live: fields, schema: schema)
    }

    /// The canonical export: the same bytes on every replica that applied the same changes.
    public var canonicalExport: String {
        CanonicalState.export(
            versions: versions,
            live: live.flatMap { address, values in values.values.map { (address, $0) } })
    }

    /// Changes the holder of `seen` lacks, per origin in sequence order.
    public func changes(after seen: VersionVector) -> [Change] {
        changes.values.filter { !seen.contains($0.dot) }.sorted { $0.dot < $1.dot }
    }
}

extension FieldAddress {
    /// A record's collection and id.
    public struct RecordKey: Sendable, Hashable, Comparable {
        /// The collection.
        public let collection: RecordCollection
        /// The record.
        public let record: RecordID

        /// Names a record.
        public init(collection: RecordCollection, record: RecordID) {
            self.collection = collection
            self.record = record
        }

        public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
            (lhs.collection, lhs.record) < (rhs.collection, rhs.record)
        }
    }
}
