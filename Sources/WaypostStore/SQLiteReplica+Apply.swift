import Foundation
import GRDB
public import WaypostCore

extension SQLiteReplica {
    /// Merges changes from another node (or this one), all in one transaction.
    ///
    /// Each change is checked against the schema first; if any is invalid, nothing is applied. A change
    /// the replica has is skipped; a change whose predecessor from the same origin is missing is held
    /// back (counted in the report, not applied). The merge rules are those of
    /// ``WaypostCore/ReplicaModel``, which the tests hold this implementation to.
    ///
    /// - Throws: ``StoreError`` `invalid` for a change that does not fit the schema, `diskFull`, or
    ///   `database`; in every case nothing was applied.
    public func apply(_ changes: [Change]) throws(StoreError) -> ApplyReport {
        for change in changes {
            do { try change.validate(against: schema) } catch { throw StoreError(error) }
        }
        let wall = wallClock()
        return try write { db in
            var context = try ApplyContext(db, replica: self)
            var report = ApplyReport()
            for change in changes {
                let expected = context.origins.sequence(of: change.dot.origin) + 1
                if change.dot.sequence < expected {
                    report.duplicates += 1
                } else if change.dot.sequence > expected {
                    let previous = report.heldBack[change.dot.origin]
                    report.heldBack[change.dot.origin] = (previous?.expected ?? expected, (previous?.count ?? 0) + 1)
                } else {
                    if !context.clock.observe(change.timestamp, wallMilliseconds: wall) {
                        report.originsAhead.insert(change.dot.origin)
                    }
                    try context.applyNext(change, db)
                    report.applied += 1
                }
            }
            try context.finish(db)
            return report
        }
    }
}

/// The state of one applying transaction: the origin table, the clock, and the records whose shown
/// values must be recomputed before it commits.
struct ApplyContext {
    var origins: OriginTable
    var clock: HybridClock
    private var touched: Set<FieldAddress.RecordKey> = []
    private let schema: Schema

    init(_ db: Database, replica: SQLiteReplica) throws {
        origins = try OriginTable(db)
        let clockValue = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'clock'") ?? 0
        clock = HybridClock(latest: HybridTimestamp(rawValue: UInt64(bitPattern: clockValue)))
        schema = replica.schema
    }

    /// Applies a change that is the next one of its origin: the rules of ``ReplicaModel/apply(_:)``.
    mutating func applyNext(_ change: Change, _ db: Database) throws {
        let origin = try origins.id(of: change.dot.origin, db)
        let collection = Int64(change.collection.rawValue)
        let record = change.record.text
        try db.cachedStatement(
            sql: """
                INSERT INTO changes (origin, sequence, timestamp, collection, record, field, operation, value, supersedes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            origin, Int64(change.dot.sequence), Int64(bitPattern: change.timestamp.rawValue), collection, record,
            change.field, ChangeRow.code(of: change.operation), change.operation.argument,
            ChangeRow.encode(change.operation.supersedes),
        ])
        for dot in change.operation.supersedes {
            let supersededOrigin = try origins.id(of: dot.origin, db)
            let arguments: StatementArguments = [collection, record, change.field, supersededOrigin, Int64(dot.sequence)]
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO superseded (collection, record, field, origin, sequence) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: arguments)
            try db.cachedStatement(
                sql: "DELETE FROM live WHERE collection = ? AND record = ? AND field = ? AND origin = ? AND sequence = ?"
            ).execute(arguments: arguments)
        }
        if let value = change.liveValue {
            let isSuperseded = try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM superseded
                        WHERE collection = ? AND record = ? AND field = ? AND origin = ? AND sequence = ?)
                        """),
                arguments: [collection, record, change.field, origin, Int64(change.dot.sequence)]) ?? false
            if !isSuperseded {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO live (collection, record, field, origin, sequence, timestamp, value)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    collection, record, change.field, origin, Int64(change.dot.sequence),
                    Int64(bitPattern: change.timestamp.rawValue), value.value,
                ])
            }
        }
        // The earliest timestamp of any change to the record, not the first one applied here, so that
        // `created_at` does not depend on the order changes arrived in.
        try db.cachedStatement(
            sql: """
                INSERT INTO records (collection, record, created) VALUES (?, ?, ?)
                ON CONFLICT (collection, record) DO UPDATE SET created = min(created, excluded.created)
                """
        ).execute(arguments: [collection, record, Int64(bitPattern: change.timestamp.rawValue)])
        try origins.advance(change, db)
        touched.insert(FieldAddress.RecordKey(collection: change.collection, record: change.record))
    }

    /// The live values at one address, as this transaction sees them.
    func liveValues(at address: FieldAddress, _ db: Database) throws -> [LiveValue] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT origin, sequence, timestamp, value FROM live WHERE collection = ? AND record = ? AND field = ?"),
            arguments: [Int64(address.collection.rawValue), address.record.text, address.field]
        ).map { row in try LiveRow.decode(row, origins: origins) }
    }

    /// Recomputes the shown values of every touched record and saves the clock.
    mutating func finish(_ db: Database) throws {
        for key in touched.sorted() {
            let view = try LiveRow.view(of: key, db, origins: origins, schema: schema)
            try ShownRow.replace(view, db, schema: schema)
        }
        touched.removeAll()
        try db.execute(
            sql: "UPDATE meta SET value = ? WHERE key = 'clock'", arguments: [Int64(bitPattern: clock.latest.rawValue)])
    }
}
