import Foundation
import GRDB
@testable import WaypostCore
@testable import WaypostStore

/// Identifiers, edits and hand-built changes shared by the store tests.
enum StoreFixtures {
    /// The schema every replica uses.
    static let schema = Schema.waypost

    /// 2026-06-01T00:00:00Z in milliseconds since the epoch: the time every manual clock starts at.
    static let baseMilliseconds: UInt64 = 1_780_272_000_000

    /// A year, in milliseconds.
    static let year: UInt64 = 365 * 24 * 3_600_000

    /// A node id whose 32 bytes are all `byte`: `node(1) < node(2)`.
    static func node(_ byte: UInt8) -> NodeID {
        NodeID(bytes: [UInt8](repeating: byte, count: NodeID.byteCount))
    }

    /// A node id of 32 bytes drawn from `generator`.
    static func node(using generator: inout SplitMix64) -> NodeID {
        NodeID(bytes: (0..<NodeID.byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// A case file for hand-built changes.
    static let caseRecord = RecordID(canonical: "aaaa-bbbb-cccc-dddd")
    /// A service directory entry for hand-built changes.
    static let serviceRecord = RecordID(canonical: "srvc-aaaa-bbbb-7777")

    /// Parses edits as a person types them (`given_name=Amina`, `languages+=ar`).
    static func edits(_ texts: String..., in collection: RecordCollection = .caseFile) throws -> [Edit] {
        try texts.map { text throws(CoreError) in try Edit(parsing: text, in: schema[collection]) }
    }

    /// A timestamp `milliseconds` after ``baseMilliseconds``.
    static func time(_ milliseconds: UInt64, counter: UInt16 = 0) -> HybridTimestamp {
        HybridTimestamp(milliseconds: baseMilliseconds + milliseconds, counter: counter)
    }

    /// A hand-built change, as another node would send it.
    static func change(
        _ origin: NodeID, _ sequence: UInt64, at milliseconds: UInt64 = 0, _ field: String, _ operation: WaypostCore.Operation,
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

    /// A new replica in `directory` for `node`, reading `clock`.
    static func replica(
        in directory: URL, _ name: String = "replica", node: NodeID = node(1), clock: ManualClock = ManualClock(),
        maximumPageCount: Int? = nil
    ) throws -> SQLiteReplica {
        try SQLiteReplica.create(
            at: directory.replicaPath(name), localNode: node, name: name, wallClock: clock.wallClock,
            maximumPageCount: maximumPageCount)
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
}

/// Reads a replica's file through a separate, read-only GRDB connection, as a person with `sqlite3`
/// would.
func readOnly<T: Sendable>(_ path: String, _ body: @Sendable (Database) throws -> T) throws -> T {
    var configuration = Configuration()
    configuration.readonly = true
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    return try queue.read(body)
}

/// Every row of a SQL view, ordered by id, each column rendered as text with its SQLite type.
func viewRows(_ path: String, _ view: String) throws -> [[String]] {
    try readOnly(path) { db in
        try Row.fetchAll(db, sql: "SELECT * FROM \(view) ORDER BY id").map { row in
            row.map { column, value in "\(column)=\(value.storage)" }
        }
    }
}
