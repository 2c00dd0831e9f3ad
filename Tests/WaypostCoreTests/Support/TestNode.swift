@testable import WaypostCore

/// One node as the real one behaves, without disk or network: a replica, its own hybrid clock and its
/// own sequence counter. Local edits become changes exactly as `waypost case set` makes them, through
/// ``Edit/operation(seeing:)`` over the values this node currently sees.
struct TestNode {
    /// This node's identity.
    let id: NodeID
    /// The merge state.
    var model = ReplicaModel()
    /// This node's hybrid logical clock.
    var clock = HybridClock()
    /// How far this node's wall clock runs ahead of true time, in milliseconds (negative: behind).
    var skew: Int64
    /// The sequence number of this node's latest change.
    private(set) var sequence: UInt64 = 0

    init(_ id: NodeID, skew: Int64 = 0) {
        self.id = id
        self.skew = skew
    }

    /// What this node's wall clock reads at true time `time`.
    func wall(at time: UInt64) -> UInt64 {
        UInt64(max(0, Int64(time) + skew))
    }

    /// Parses `text` as a person's edit of a record and applies it locally.
    ///
    /// - Returns: the change made, or nil when the edit changes nothing (adding an element already there).
    @discardableResult
    mutating func edit(
        _ text: String, _ collection: RecordCollection = .caseFile, _ record: RecordID = Fixtures.caseRecord,
        at time: UInt64
    ) throws(CoreError) -> Change? {
        let edit = try Edit(parsing: text, in: Fixtures.schema[collection])
        return try make(edit, collection, record, at: time)
    }

    /// Turns an edit into a change over what this node sees, applies it and returns it.
    mutating func make(_ edit: Edit, _ collection: RecordCollection, _ record: RecordID, at time: UInt64)
        throws(CoreError) -> Change?
    {
        let address = FieldAddress(collection: collection, record: record, field: edit.path.description)
        guard let operation = try edit.operation(seeing: model.liveValues(at: address)) else { return nil }
        sequence += 1
        let change = Change(
            dot: Dot(origin: id, sequence: sequence), timestamp: clock.tick(wallMilliseconds: wall(at: time)),
            collection: collection, record: record, field: edit.path.description, operation: operation)
        let outcome = model.apply(change)
        precondition(outcome == .applied, "a node's own change always applies")
        return change
    }

    /// Receives one change from a peer, moving the clock past it as a real node does.
    @discardableResult
    mutating func receive(_ change: Change, at time: UInt64 = 0) -> ApplyOutcome {
        let outcome = model.apply(change)
        if outcome == .applied { clock.observe(change.timestamp, wallMilliseconds: wall(at: time)) }
        return outcome
    }

    /// Receives changes in the order given.
    mutating func receive(_ changes: [Change?], at time: UInt64 = 0) {
        for change in changes.compactMap({ $0 }) { receive(change, at: time) }
    }

    /// Receives everything `peer` has that this node lacks, in dot order.
    mutating func sync(from peer: TestNode, at time: UInt64 = 0) {
        receive(peer.model.changes(after: model.versions), at: time)
    }

    /// The record as a person sees it here.
    func view(_ collection: RecordCollection = .caseFile, _ record: RecordID = Fixtures.caseRecord) -> RecordView {
        model.view(collection, record, schema: Fixtures.schema)
    }

    /// The live values at one field of a record.
    func live(_ field: String, _ collection: RecordCollection = .caseFile, _ record: RecordID = Fixtures.caseRecord)
        -> [LiveValue]
    {
        model.liveValues(at: FieldAddress(collection: collection, record: record, field: field))
    }
}
