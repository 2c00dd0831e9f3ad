import WaypostTesting
import Foundation
import GRDB
import WaypostCrypto

@testable import WaypostCore
@testable import WaypostStore

/// Identifiers, keys, edits and hand-built changes shared by the store tests.
enum StoreFixtures {
    /// The schema every replica uses.
    static let schema = Schema.waypost

    /// 2026-06-01T00:00:00Z in milliseconds since the epoch: the time every manual clock starts at.
    static let baseMilliseconds: UInt64 = 1_780_272_000_000

    /// A year, in milliseconds.
    static let year: UInt64 = 365 * 24 * 3_600_000

    /// The key pair of test node number `number`: the same on every run. Its public key is the node id.
    static func keys(_ number: UInt64) -> SigningKeyPair {
        var generator = SplitMix64(seed: 0x5EED_0000 + number)
        return keys(using: &generator)
    }

    /// A key pair whose seed is drawn from `generator`.
    static func keys(using generator: inout SplitMix64) -> SigningKeyPair {
        let seed = (0..<SigningKeyPair.seedByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // A 32-byte seed is always accepted; only a libsodium that fails to start could refuse it.
        return try! SigningKeyPair(seed: seed)
    }

    /// A case file for hand-built changes.
    static let caseRecord = RecordID(canonical: "aaaa-bbbb-cccc-dddd")
    /// A service directory entry for hand-built changes.
    static let serviceRecord = RecordID(canonical: "srvc-aaaa-bbbb-7777")

    /// Parses edits as a person types them (`given_name=Amina`, `languages+=ar`).
    static func edits(_ texts: String..., in collection: RecordCollection = .caseFile) throws -> [Edit] {
        try edits(texts, in: collection)
    }

    /// Parses a list of edits as a person types them.
    static func edits(_ texts: [String], in collection: RecordCollection = .caseFile) throws -> [Edit] {
        try texts.map { text throws(CoreError) in try Edit(parsing: text, in: schema[collection]) }
    }

    /// A timestamp `milliseconds` after ``baseMilliseconds``.
    static func time(_ milliseconds: UInt64, counter: UInt16 = 0) -> HybridTimestamp {
        HybridTimestamp(milliseconds: baseMilliseconds + milliseconds, counter: counter)
    }

    /// A hand-built change, as another node would send it.
    static func change(
        _ origin: NodeID, _ sequence: UInt64, at milliseconds: UInt64 = 0, _ field: String,
        _ operation: WaypostCore.Operation,
        record: RecordID = caseRecord, collection: RecordCollection = .caseFile
    ) -> Change {
        Change(
            dot: Dot(origin: origin, sequence: sequence), timestamp: time(milliseconds + sequence),
            collection: collection, record: record, field: field, operation: operation)
    }

    /// `count` valid changes of `origin` from `first` on: notes appended to ``caseRecord``.
    static func notes(_ origin: NodeID, from first: UInt64 = 1, count: Int, length: Int = 20) -> [Change] {
        (0..<UInt64(count)).map { offset in
            let sequence = first + offset
            let text = "note \(sequence) " + String(repeating: "x", count: max(0, length - 12))
            return change(origin, sequence, "notes", .append(entry: text))
        }
    }

    /// A new replica in `directory` for the node whose keys are `keys`, reading `clock`, that trusts
    /// `trusted` as pairwise peers (named `peer-` and the first group of their id).
    static func replica(
        in directory: URL, _ name: String = "replica", keys: SigningKeyPair = keys(1),
        clock: ManualClock = ManualClock(),
        maximumPageCount: Int? = nil, trusting trusted: [NodeID] = []
    ) throws -> SQLiteReplica {
        let replica = try SQLiteReplica.create(
            at: directory.replicaPath(name), localNode: keys.publicKey, name: name, storageKey: StorageKey(derivedFrom: keys),
            wallClock: clock.wallClock,
            maximumPageCount: maximumPageCount)
        for node in trusted { try replica.addPeer(named: "peer-\(node.short)", node: node) }
        return replica
    }

    /// Makes every replica trust every other one.
    static func trustEachOther(_ replicas: [SQLiteReplica]) throws {
        for replica in replicas {
            for other in replicas where other !== replica {
                try replica.addPeer(named: "peer-\(other.localNode.short)", node: other.localNode)
            }
        }
    }
}

extension SQLiteReplica {
    /// Applies what `sender` has and this replica lacks, as a bundle from it would bring.
    @discardableResult
    func pull(from sender: SQLiteReplica) throws -> ApplyReport {
        try apply(sender.changes(after: versions()), from: sender.localNode)
    }
}

extension SQLiteReplica {
    /// Commits without waiting for the disk (`PRAGMA synchronous = NORMAL`, which in WAL mode syncs
    /// only at checkpoints: https://sqlite.org/pragma.html#pragma_synchronous), for the randomised tests
    /// that make thousands of small transactions. Atomicity and rollback are unchanged; only what
    /// survives a power cut is, which no test here looks at.
    func skipDurableCommits() throws {
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
    }
}

/// Everything that must stay the same when a store method throws: the state, what is seen, the counts.
///
/// Changes that are only held back (in `pending`) may add their origin to the `origins` table with
/// nothing applied; ``applied`` leaves that out.
struct ReplicaSnapshot: Equatable {
    let export: String
    let versions: VersionVector
    let statistics: SQLiteReplica.Statistics
    let originSequences: [NodeID: UInt64]
    let history: [Change]

    init(_ replica: SQLiteReplica) throws {
        export = try replica.canonicalExport()
        versions = try replica.versions()
        statistics = try replica.statistics()
        originSequences = statistics.origins.mapValues(\.sequence)
        history = try replica.history(limit: 100_000)
    }

    /// The applied state alone: export, versions, number of changes and history.
    var applied: AppliedState {
        AppliedState(export: export, versions: versions, changes: statistics.changes, history: history)
    }

    struct AppliedState: Equatable {
        let export: String
        let versions: VersionVector
        let changes: Int
        let history: [Change]
    }
}

/// The changes a replica holds back, waiting for their predecessors or a signature, by origin.
func pendingCounts(_ replica: SQLiteReplica) throws -> [NodeID: Int] {
    try replica.database.read { db in
        var counts: [NodeID: Int] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT o.node, COUNT(*) FROM pending p JOIN origins o ON o.id = p.origin GROUP BY o.node")
        {
            counts[NodeID(bytes: Array(row[0] as Data))] = row[1]
        }
        return counts
    }
}

/// Reads a replica's file through a separate, read-only GRDB connection, as a person with `waypost sql`
/// would.
func readOnly<T: Sendable>(_ replica: SQLiteReplica, _ body: @Sendable (Database) throws -> T) throws -> T {
    try replica.readOnlyQueue().read(body)
}

/// Every row of a SQL view, ordered by id, each column rendered as text with its SQLite type.
func viewRows(_ replica: SQLiteReplica, _ view: String) throws -> [[String]] {
    try readOnly(replica) { db in
        try Row.fetchAll(db, sql: "SELECT * FROM \(view) ORDER BY id").map { row in
            row.map { column, value in "\(column)=\(value.storage)" }
        }
    }
}
