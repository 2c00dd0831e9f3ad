import Foundation
import GRDB
import WaypostCore
import WaypostTrust

/// The `origins` table as one transaction sees it: node ids interned as small integers, with the
/// highest sequence applied from each. Loaded at the start of a transaction, written back as it goes.
struct OriginTable {
    struct Entry {
        let id: Int64
        var sequence: UInt64
        var latestTimestamp: UInt64
        /// The origin's chain head after `sequence` (`Protocol/trust.md` §2).
        var head: [UInt8]
    }

    private(set) var byNode: [NodeID: Entry] = [:]
    private(set) var byID: [Int64: NodeID] = [:]

    init(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, node, sequence, latest_timestamp, head FROM origins") {
            let node = NodeID(bytes: Array(row["node"] as Data))
            let id: Int64 = row["id"]
            byNode[node] = Entry(
                id: id, sequence: try StoredNumber.read(row["sequence"], "an origin's sequence number"),
                latestTimestamp: UInt64(bitPattern: row["latest_timestamp"] as Int64),
                head: (row["head"] as Data?).map(Array.init) ?? ChangeChain.genesis)
            byID[id] = node
        }
    }

    /// The id of `node`, adding it to the table if it is new.
    mutating func id(of node: NodeID, _ db: Database) throws -> Int64 {
        if let entry = byNode[node] { return entry.id }
        try db.execute(sql: "INSERT INTO origins (node) VALUES (?)", arguments: [Data(node.bytes)])
        let id = db.lastInsertedRowID
        byNode[node] = Entry(id: id, sequence: 0, latestTimestamp: 0, head: ChangeChain.genesis)
        byID[id] = node
        return id
    }

    func sequence(of node: NodeID) -> UInt64 { byNode[node]?.sequence ?? 0 }

    func node(_ id: Int64) -> NodeID? { byID[id] }

    func head(of node: NodeID) -> [UInt8] { byNode[node]?.head ?? ChangeChain.genesis }

    /// Records that `change` is applied, and the origin's chain head after it. The row is written by
    /// ``save(_:)`` before the transaction commits, once per origin rather than once per change.
    mutating func advance(_ change: Change, head: [UInt8], _ db: Database) throws {
        _ = try id(of: change.dot.origin, db)
        var entry = byNode[change.dot.origin]!
        entry.sequence = change.dot.sequence
        entry.latestTimestamp = max(entry.latestTimestamp, change.timestamp.rawValue)
        entry.head = head
        byNode[change.dot.origin] = entry
        dirty.insert(change.dot.origin)
    }

    private var dirty: Set<NodeID> = []

    /// Writes the rows of the origins advanced since the last save.
    mutating func save(_ db: Database) throws {
        for node in dirty.sorted() {
            let entry = byNode[node]!
            try db.cachedStatement(sql: "UPDATE origins SET sequence = ?, latest_timestamp = ?, head = ? WHERE id = ?")
                .execute(arguments: [
                    try StoredNumber.column(entry.sequence, "an origin's sequence number"),
                    Int64(bitPattern: entry.latestTimestamp), Data(entry.head), entry.id,
                ])
        }
        dirty.removeAll()
    }

    var versions: VersionVector {
        VersionVector(byNode.mapValues(\.sequence))
    }
}
