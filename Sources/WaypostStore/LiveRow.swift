import Foundation
import GRDB
import WaypostCore

/// Reads rows of the `live` table into ``WaypostCore/LiveValue``s and record views.
enum LiveRow {
    /// Decodes `origin, sequence, timestamp, value`.
    static func decode(_ row: Row, origins: OriginTable) throws -> LiveValue {
        guard let origin = origins.node(row[0]) else {
            throw StoreError(.database, "a live value names an unknown origin; the replica is damaged")
        }
        return LiveValue(
            dot: Dot(origin: origin, sequence: UInt64(row[1] as Int64)),
            timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: row[2] as Int64)), value: row[3])
    }

    /// Decodes `origin, sequence, timestamp, value` from a row read directly.
    static func decode(_ row: DirectRow, origins: OriginTable) throws -> LiveValue {
        guard let origin = origins.node(row.integer(0)) else {
            throw StoreError(.database, "a live value names an unknown origin; the replica is damaged")
        }
        return LiveValue(
            dot: Dot(origin: origin, sequence: UInt64(row.integer(1))),
            timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: row.integer(2))), value: row.text(3))
    }

    /// One record's view, from its live values: of all its fields, or of the top-level `fields` given.
    static func view(
        of key: FieldAddress.RecordKey, _ db: Database, origins: OriginTable, schema: Schema, fields only: [Substring]? = nil
    ) throws -> RecordView {
        var fields: [String: [LiveValue]] = [:]
        try db.cachedStatement(
            sql: "SELECT origin, sequence, timestamp, value, field FROM live WHERE collection = ? AND record = ?"
        ).forEachRow(.integer(Int64(key.collection.rawValue)), .text(key.record.text)) { row in
            let field = row.text(4)
            if let only, !only.contains(field.prefix { $0 != "." }) { return }
            fields[field, default: []].append(try decode(row, origins: origins))
        }
        return RecordView(collection: key.collection, id: key.record, live: fields, schema: schema)
    }
}

/// Writes a record's shown values to the `shown` table behind the SQL views: registers as typed
/// values (text, integer, real, 0/1), sets, logs and entries as canonical JSON text.
enum ShownRow {
    /// Rewrites the shown values of `fields` (top-level field names) of the record, or of all its fields
    /// when `fields` is nil: a change to one field leaves the others' rows alone.
    static func replace(_ view: RecordView, _ db: Database, schema: Schema, fields only: [Substring]? = nil) throws {
        let collection = Int64(view.collection.rawValue)
        if let only {
            let delete = try db.cachedStatement(sql: "DELETE FROM shown WHERE collection = ? AND record = ? AND field = ?")
            for name in only { try delete.run(.integer(collection), .text(view.id.text), .text(String(name))) }
        } else {
            try db.cachedStatement(sql: "DELETE FROM shown WHERE collection = ? AND record = ?")
                .run(.integer(collection), .text(view.id.text))
        }
        var fields = view.fieldsJSON(schema: schema)
        if let only { fields = fields.filter { only.contains(Substring($0.key)) } }
        let conflicts = view.conflicts
        let insert = try db.cachedStatement(
            sql: "INSERT INTO shown (collection, record, field, value, conflicted) VALUES (?, ?, ?, ?, ?)")
        for (name, json) in fields {
            let value: SQLValue
            switch json {
            case .null: value = .null
            case .bool(let flag): value = .integer(flag ? 1 : 0)
            case .number(let text): value = Int64(text).map(SQLValue.integer) ?? Double(text).map(SQLValue.real) ?? .text(text)
            case .string(let text): value = .text(text)
            case .array, .object: value = .text(json.canonical)
            }
            let conflictCount = conflicts.isEmpty ? 0 : conflicts.filter { $0.field == name || $0.field.hasPrefix(name + ".") }.count
            try insert.run(.integer(collection), .text(view.id.text), .text(name), value, .integer(Int64(conflictCount)))
        }
    }
}
