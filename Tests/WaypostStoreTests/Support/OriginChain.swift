import WaypostTesting
import WaypostCore
import WaypostCrypto
import WaypostTrust

/// One origin's side of ``WaypostTrust/ChangeChain`` for changes built by hand: it gives each record a
/// record key on the origin's first change to it, extends the chain head over each change's leaf, and
/// signs the head at the last change of each batch (and wherever else a test asks), as
/// `SQLiteReplica`'s local writes do.
///
/// Record keys are drawn from a generator seeded with the origin's id, so a run replays exactly.
struct OriginChain {
    /// The origin's key pair.
    let keys: SigningKeyPair
    /// The head after the last change appended.
    private(set) var head = ChangeChain.genesis
    /// The sequence number of the last change appended.
    private(set) var sequence: UInt64 = 0
    private var recordKeys: [FieldAddress.RecordKey: [UInt8]] = [:]
    private var random: SplitMix64

    /// The chain of an origin that has written nothing yet.
    init(_ keys: SigningKeyPair) {
        self.keys = keys
        random = SplitMix64(seed: keys.publicKey.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// The origin: the public key.
    var origin: NodeID { keys.publicKey }

    /// The record key of a record the origin has written to.
    func recordKey(_ collection: RecordCollection, _ record: RecordID) -> [UInt8]? {
        recordKeys[FieldAddress.RecordKey(collection: collection, record: record)]
    }

    /// Extends the chain with `changes` (the origin's next ones, in order) and returns them as a batch:
    /// a record key on each first change to a record, a signature at the last change and at every
    /// sequence number in `signedAt`.
    mutating func append(_ changes: [Change], signedAt: Set<UInt64> = []) -> ChangeBatch {
        var batch = ChangeBatch()
        for change in changes {
            precondition(
                change.dot == Dot(origin: origin, sequence: sequence + 1), "\(change.dot) does not continue the chain")
            let address = FieldAddress.RecordKey(collection: change.collection, record: change.record)
            let known = recordKeys[address]
            let key =
                known ?? (0..<ChangeChain.recordKeyLength).map { _ in UInt8.random(in: .min ... .max, using: &random) }
            if known == nil {
                recordKeys[address] = key
                batch.recordKeys[change.dot] = key
            }
            head = ChangeChain.head(
                after: head, leaf: ChangeChain.leaf(of: change, recordKey: key, introducesKey: known == nil))
            sequence = change.dot.sequence
            if change == changes.last || signedAt.contains(sequence) {
                batch.signatures[change.dot] = ChangeChain.sign(at: change.dot, head: head, with: keys)
            }
            batch.changes.append(change)
        }
        return batch
    }

    /// Signs a batch of hand-built changes of one origin that starts its chain.
    static func signed(_ changes: [Change], by keys: SigningKeyPair, signedAt: Set<UInt64> = []) -> ChangeBatch {
        var chain = OriginChain(keys)
        return chain.append(changes, signedAt: signedAt)
    }
}

/// Recomputes an origin's chain over a batch as a receiving replica must, independently of the store:
/// the chain heads after each change, starting from `head`, with the record keys the batch introduces
/// and those given in `known`.
///
/// - Returns: nil if a change needs a record key the batch and `known` do not give.
func chainHeads(
    of batch: ChangeBatch, origin: NodeID, from head: [UInt8] = ChangeChain.genesis,
    known: [FieldAddress.RecordKey: [UInt8]] = [:]
) -> [Dot: [UInt8]]? {
    var keys = known
    var head = head
    var heads: [Dot: [UInt8]] = [:]
    for change in batch.changes where change.dot.origin == origin {
        let address = FieldAddress.RecordKey(collection: change.collection, record: change.record)
        let introduced = batch.recordKeys[change.dot]
        if let introduced { keys[address] = introduced }
        guard let key = keys[address] else { return nil }
        head = ChangeChain.head(
            after: head, leaf: ChangeChain.leaf(of: change, recordKey: key, introducesKey: introduced != nil))
        heads[change.dot] = head
    }
    return heads
}

extension ChangeBatch {
    /// The changes for which `isIncluded` is true, with their record keys and signatures.
    func keeping(_ isIncluded: (Change) -> Bool) -> ChangeBatch {
        let kept = changes.filter(isIncluded)
        let dots = Set(kept.map(\.dot))
        return ChangeBatch(
            changes: kept, recordKeys: recordKeys.filter { dots.contains($0.key) },
            signatures: signatures.filter { dots.contains($0.key) })
    }

    /// The changes of one origin.
    func only(from origin: NodeID) -> ChangeBatch { keeping { $0.dot.origin == origin } }

    /// The same batch with its changes in dot order (origins by id), as `changes(after:)` gives them.
    var inDotOrder: ChangeBatch {
        ChangeBatch(changes: changes.sorted { $0.dot < $1.dot }, recordKeys: recordKeys, signatures: signatures)
    }

    /// Both batches in one, `lhs`'s changes first.
    static func + (lhs: ChangeBatch, rhs: ChangeBatch) -> ChangeBatch {
        ChangeBatch(
            changes: lhs.changes + rhs.changes, recordKeys: lhs.recordKeys.merging(rhs.recordKeys) { $1 },
            signatures: lhs.signatures.merging(rhs.signatures) { $1 })
    }

    /// The change at `dot`.
    subscript(dot: Dot) -> Change? { changes.first { $0.dot == dot } }

    /// The same batch with the change at `dot` replaced by `transform` of it (its record key and
    /// signature stay at `dot`).
    func replacing(_ dot: Dot, with transform: (Change) -> Change) -> ChangeBatch {
        var copy = self
        copy.changes = changes.map { $0.dot == dot ? transform($0) : $0 }
        return copy
    }
}

extension Change {
    /// The same change with another dot.
    func with(dot: Dot) -> Change {
        Change(
            dot: dot, timestamp: timestamp, collection: collection, record: record, field: field, operation: operation)
    }

    /// The same change with another operation.
    func with(operation: WaypostCore.Operation) -> Change {
        Change(
            dot: dot, timestamp: timestamp, collection: collection, record: record, field: field, operation: operation)
    }
}
