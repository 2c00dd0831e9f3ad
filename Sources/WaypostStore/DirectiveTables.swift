import Foundation
import GRDB
import WaypostCore
import WaypostTrust

/// The `directives` table: the admin directives this node holds (`Protocol/trust.md` §7), each once,
/// by its id. Only directives whose issuer was an admin here when they arrived are stored; the others
/// are refused and counted.
enum DirectiveTables {
    /// What admitting a set of directives did.
    struct Admission {
        /// Newly stored and in effect, in the order they were judged.
        var accepted: [Directive] = []
        /// Newly stored without effect here: revocations of this node itself.
        var withoutEffect: [Directive] = []
        /// Refused, with why: their issuer is not an admin here, or is revoked.
        var refused: [(directive: Directive, reason: String)] = []
        /// Already held.
        var known = 0
        /// Pending changes of newly revoked nodes beyond their last accepted sequence, dropped.
        var discardedPending = 0
    }

    /// Judges each directive with `trust` (in issue order, so that one revoking an admin counts before
    /// that admin's later ones), stores those that count, puts the revocations into effect in `trust`,
    /// and drops the revoked nodes' pending changes beyond their last accepted sequence.
    static func admit(_ directives: [Directive], trust: inout TrustRegistry, now: UInt64, _ db: Database) throws -> Admission {
        var admission = Admission()
        var ids: Set<[UInt8]> = []
        for directive in directives.sorted(by: Directive.precedes) {
            let id = directive.id
            guard ids.insert(id).inserted else { continue }
            if try isStored(id, db) {
                admission.known += 1
                continue
            }
            switch trust.judge(directive) {
            case .refused(let reason):
                admission.refused.append((directive, reason))
            case .storedWithoutEffect:
                try insert(directive, id: id, accepted: false, now: now, db)
                admission.withoutEffect.append(directive)
            case .accepted:
                try insert(directive, id: id, accepted: true, now: now, db)
                admission.accepted.append(directive)
                if let node = directive.revokedNode {
                    trust.record(directive)
                    admission.discardedPending += try discardPending(of: node, after: trust.lastAccepted(of: node) ?? 0, db)
                }
            }
        }
        return admission
    }

    static func isStored(_ id: [UInt8], _ db: Database) throws -> Bool {
        try db.cachedStatement(sql: "SELECT 1 FROM directives WHERE id = ?").hasRow(.blob(id))
    }

    private static func insert(_ directive: Directive, id: [UInt8], accepted: Bool, now: UInt64, _ db: Database) throws {
        let subject: [UInt8]
        var lastAccepted: Int64? = nil
        switch directive.kind {
        case .revoke(let node, let last):
            subject = node.bytes
            lastAccepted = Int64(bitPattern: last)
        case .erase(let collection, let record):
            subject = [collection.rawValue] + record.bytes
        }
        try db.execute(
            sql: """
                INSERT INTO directives (id, kind, subject, last_accepted, issuer, issued_at, accepted, received_at, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                Data(id), Int64(directive.kind.code), Data(subject), lastAccepted, Data(directive.issuer.bytes),
                Int64(bitPattern: directive.issuedAt), accepted ? 1 : 0, Int64(bitPattern: now), Data(directive.bytes),
            ])
    }

    /// Drops `node`'s pending changes after `lastAccepted`; returns how many.
    private static func discardPending(of node: NodeID, after lastAccepted: UInt64, _ db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM pending WHERE origin = (SELECT id FROM origins WHERE node = ?) AND sequence > ?",
            arguments: [Data(node.bytes), Int64(bitPattern: min(lastAccepted, UInt64(Int64.max)))])
        return db.changesCount
    }

    /// Every directive held, oldest first: what a node passes on.
    static func all(_ db: Database) throws -> [Directive] {
        try Data.fetchAll(db, sql: "SELECT bytes FROM directives ORDER BY issued_at, id").compactMap {
            try? Directive(decoding: Array($0))
        }
    }

    /// The records erased here by an accepted erase directive.
    static func erasedRecords(_ db: Database) throws -> Set<FieldAddress.RecordKey> {
        var records: Set<FieldAddress.RecordKey> = []
        for subject in try Data.fetchAll(db, sql: "SELECT subject FROM directives WHERE kind = 2 AND accepted = 1") {
            let bytes = Array(subject)
            guard bytes.count == 11, let collection = RecordCollection(rawValue: bytes[0]),
                let record = RecordID(bytes: Array(bytes[1...]))
            else { continue }
            records.insert(FieldAddress.RecordKey(collection: collection, record: record))
        }
        return records
    }

    /// The revocations in effect here (for ``TrustRegistry``).
    static func revocations(_ db: Database) throws -> [Directive] {
        try Data.fetchAll(db, sql: "SELECT bytes FROM directives WHERE kind = 1 AND accepted = 1 ORDER BY issued_at, id")
            .compactMap { try? Directive(decoding: Array($0)) }
    }

    /// For each revoked node, the last of its sequence numbers still accepted: a cheap read, with no
    /// signature checked, for the paths that run often (what to send, whether a peer is revoked).
    static func ceilings(_ db: Database) throws -> [NodeID: UInt64] {
        var result: [NodeID: UInt64] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT subject, MIN(last_accepted) FROM directives WHERE kind = 1 AND accepted = 1 GROUP BY subject"))
        {
            result[NodeID(bytes: Array(row[0] as Data))] = UInt64(bitPattern: row[1] as Int64)
        }
        return result
    }
}
