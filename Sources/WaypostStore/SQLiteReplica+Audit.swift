import Foundation
import GRDB
public import WaypostCore
import WaypostCrypto
import WaypostTrust

extension SQLiteReplica {
    /// Appends an entry to the local access log: who looked at which records (`Protocol/replica.md` §10).
    /// The log is append-only (triggers refuse updates and deletes) and holds no field value.
    ///
    /// - Parameters:
    ///   - records: the ids shown; at most 1,000 are kept, and `scope` says what the rest were.
    ///   - scope: what was shown when it is not a list of ids (`all 1200 cases`, `4 rows`).
    public func recordAccess(user: String, command: String, records: [String], scope: String?, reason: String?) throws(StoreError) {
        let at = Int64(wallClock())
        let node = Data(localNode.bytes)
        let kept = records.prefix(1000)
        let summary = records.count > kept.count ? "\(records.count) records, the first \(kept.count) listed" : scope
        try write { db in
            try db.execute(
                sql: "INSERT INTO access_log (at, user, node, command, records, scope, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [at, user, node, command, kept.joined(separator: " "), summary, reason])
        }
    }

    /// The access log, oldest first (the latest `limit` entries).
    public func accessLog(limit: Int = 1000) throws(StoreError) -> [AccessEntry] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT number, at, user, node, command, records, scope, reason FROM access_log
                    ORDER BY number DESC LIMIT ?
                    """, arguments: [limit]
            ).reversed().map { row in
                let records: String = row[5]
                return AccessEntry(
                    number: row[0], at: UInt64(row[1] as Int64), user: row[2], node: NodeID(bytes: Array(row[3] as Data)),
                    command: row[4], records: records.split(separator: " ").map(String.init), scope: row[6], reason: row[7])
            }
        }
    }

    /// Recomputes every origin's hash chain from its first change, as a receiver did when it accepted
    /// them (`Protocol/trust.md` §2), and checks every stored signature and the stored head: a change
    /// altered, removed or inserted in the database file breaks it. Values are opened on the way, so a
    /// value or its field or time altered in the file is named exactly.
    public func auditChains() throws(StoreError) -> ChainAudit {
        let storage = try unlockedStorageKey()
        return try read { db in
            let keyring = Keyring(storage)
            let origins = try OriginTable(db)
            var results: [ChainAudit.Origin] = []
            for (node, entry) in origins.byNode.sorted(by: { $0.key < $1.key }) where entry.sequence > 0 {
                results.append(try ChainAuditor.audit(node, entry: entry, origins: origins, keyring: keyring, db))
            }
            return ChainAudit(origins: results)
        }
    }
}

/// Walks one origin's chain for ``SQLiteReplica/auditChains()``.
enum ChainAuditor {
    static func audit(
        _ node: NodeID, entry: OriginTable.Entry, origins: OriginTable, keyring: Keyring, _ db: Database
    ) throws -> ChainAudit.Origin {
        var chainKeys: [FieldAddress.RecordKey: (key: [UInt8], introduced: Int64)] = [:]
        var problem: ChainAudit.Problem?
        for row in try Row.fetchAll(
            db, sql: "SELECT collection, record, key, introduced FROM record_keys WHERE origin = ?", arguments: [entry.id])
        {
            let record = try ChangeRow.recordKey(row[0], row[1])
            let introduced: Int64 = row[3]
            do {
                chainKeys[record] = (try keyring.openChainKey(Array(row[2] as Data), of: record, origin: entry.id, introduced: introduced), introduced)
            } catch {
                problem = problem ?? ChainAudit.Problem(
                    sequence: UInt64(clamping: introduced),
                    reason: "the record key it introduced does not decrypt: it was altered in the file")
            }
        }
        var signatures: [Int64: [UInt8]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sequence, signature FROM signatures WHERE origin = ?", arguments: [entry.id]) {
            signatures[row[0]] = Array(row[1] as Data)
        }
        var head = ChangeChain.genesis
        var expected: Int64 = 1
        var count = 0
        var checked = 0
        var lastSigned: Int64 = 0
        try db.cachedStatement(
            sql: """
                SELECT origin, sequence, timestamp, collection, record, field, operation, value, supersedes, digest
                FROM changes WHERE origin = ? ORDER BY sequence
                """
        ).forEachRow(.integer(entry.id)) { row in
            guard problem == nil else { return }
            count += 1
            let sequence = row.integer(1)
            guard sequence == expected else {
                problem = ChainAudit.Problem(
                    sequence: UInt64(expected), reason: "change \(expected) is missing from the database file")
                return
            }
            expected += 1
            let record = try ChangeRow.recordKey(row.integer(3), row.text(4))
            guard let chainKey = chainKeys[record] else {
                problem = ChainAudit.Problem(sequence: UInt64(sequence), reason: "the record key its chain needs is missing")
                return
            }
            let digest = row.blob(9)
            let value: String
            if digest != nil {
                value = ""  // erased: the digest stands for the value
            } else {
                let place = Keyring.Place(
                    record: record, origin: row.integer(0), sequence: sequence, field: row.text(5), timestamp: row.integer(2))
                do {
                    value = try row.withBlob(7) { try keyring.openValue($0, at: place, db) }
                } catch {
                    problem = ChainAudit.Problem(
                        sequence: UInt64(sequence),
                        reason: "its value does not decrypt with its field and time: the value, field or time was altered in the file")
                    return
                }
            }
            let change = try ChangeRow.make(
                origin: row.integer(0), sequence: sequence, timestamp: row.integer(2), collection: row.integer(3),
                record: row.text(4), field: row.text(5), code: row.integer(6), value: value, supersedes: row.blob(8),
                origins: origins)
            let introduces = chainKey.introduced == sequence
            let leaf =
                if let digest {
                    ChangeChain.leaf(of: change, valueDigest: digest, keyCommitment: introduces ? ChangeChain.keyCommitment(chainKey.key) : nil)
                } else {
                    ChangeChain.leaf(of: change, recordKey: chainKey.key, introducesKey: introduces)
                }
            head = ChangeChain.head(after: head, leaf: leaf)
            if let signature = signatures[sequence] {
                checked += 1
                guard ChangeChain.isValid(signature, at: change.dot, head: head) else {
                    problem = ChainAudit.Problem(
                        sequence: UInt64(sequence),
                        reason: "the changes after \(lastSigned) up to \(sequence) do not match the origin's signature at \(sequence): "
                            + "one of them was altered in the file (its operation or what it supersedes)")
                    return
                }
                lastSigned = sequence
            }
        }
        if problem == nil, UInt64(expected - 1) != entry.sequence {
            problem = ChainAudit.Problem(
                sequence: UInt64(expected), reason: "the replica records \(entry.sequence) changes of this origin but holds \(expected - 1)")
        }
        if problem == nil, head != entry.head {
            problem = ChainAudit.Problem(
                sequence: entry.sequence, reason: "the chain's recomputed head differs from the one stored when the changes were accepted")
        }
        return ChainAudit.Origin(node: node, changes: count, signatures: checked, problem: problem)
    }
}
