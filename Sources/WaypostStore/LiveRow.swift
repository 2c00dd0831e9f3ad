import Foundation
import GRDB
import WaypostCore

/// Reads rows of the `live` table into ``WaypostCore/LiveValue``s and record views.
enum LiveRow {
    /// Decodes `origin, sequence, timestamp, value` of a live value of `record`, opening the value.
    static func decode(
        _ row: Row, origins: OriginTable, keyring: Keyring, record: FieldAddress.RecordKey, field: String, _ db: Database
    ) throws -> LiveValue {
        let origin: Int64 = row[0], sequence: Int64 = row[1], timestamp: Int64 = row[2]
        guard let node = origins.node(origin) else {
            throw StoreError(.database, "a live value names an unknown origin; the replica is damaged")
        }
        let sealed: Data = row[3]
        let place = Keyring.Place(record: record, origin: origin, sequence: sequence, field: field, timestamp: timestamp)
        let value = try sealed.withUnsafeBytes { try keyring.openValue($0, at: place, db) }
        return LiveValue(
            dot: Dot(origin: node, sequence: UInt64(sequence)), timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: timestamp)),
            value: value)
    }

    /// Decodes `origin, sequence, timestamp, value` from a row read directly.
    static func decode(
        _ row: DirectRow, origins: OriginTable, keyring: Keyring, record: FieldAddress.RecordKey, field: String, _ db: Database
    ) throws -> LiveValue {
        let origin = row.integer(0), sequence = row.integer(1), timestamp = row.integer(2)
        guard let node = origins.node(origin) else {
            throw StoreError(.database, "a live value names an unknown origin; the replica is damaged")
        }
        let place = Keyring.Place(record: record, origin: origin, sequence: sequence, field: field, timestamp: timestamp)
        let value = try row.withBlob(3) { try keyring.openValue($0, at: place, db) }
        return LiveValue(
            dot: Dot(origin: node, sequence: UInt64(sequence)), timestamp: HybridTimestamp(rawValue: UInt64(bitPattern: timestamp)),
            value: value)
    }

    /// One record's view, from its live values: of all its fields, or of the top-level `fields` given.
    static func view(
        of key: FieldAddress.RecordKey, _ db: Database, origins: OriginTable, keyring: Keyring, schema: Schema,
        fields only: [Substring]? = nil
    ) throws -> RecordView {
        var fields: [String: [LiveValue]] = [:]
        let collection = SQLValue.integer(Int64(key.collection.rawValue)), record = SQLValue.text(key.record.text)
        let collect = { (row: DirectRow) throws in
            let field = row.text(4)
            fields[field, default: []].append(try decode(row, origins: origins, keyring: keyring, record: key, field: field, db))
        }
        guard let only else {
            try keyring.statements(.selectLiveOfRecord, db).forEachRow(collection, record, body: collect)
            return RecordView(collection: key.collection, id: key.record, live: fields, schema: schema)
        }
        let range = try keyring.statements(.selectLiveOfFieldRange, db)
        for name in only {
            try range.forEachRow(collection, record, .text(String(name)), .text(name + "/"), body: collect)
        }
        return RecordView(collection: key.collection, id: key.record, live: fields, schema: schema)
    }
}

/// Writes a record's shown values to the `shown` table behind the SQL views: one row per record, its
/// ``ShownDocument`` sealed under the record's key (registers as typed values, sets, logs and entries as
/// canonical JSON text), and the number of conflicted fields.
enum ShownRow {
    /// Rewrites the shown values of `fields` (top-level field names) of the record, or of all its fields
    /// when `fields` is nil: a change to one field leaves the others' values as they were.
    static func replace(
        _ view: RecordView, _ db: Database, schema: Schema, keyring: Keyring, fields only: [Substring]? = nil
    ) throws {
        let collection = Int64(view.collection.rawValue)
        let record = FieldAddress.RecordKey(collection: view.collection, record: view.id)
        var document = ShownDocument()
        if let only {
            var sealed: [UInt8]?
            try keyring.statements(.selectShown, db)
                .forEachRow(.integer(collection), .text(view.id.text)) { row in sealed = row.blob(0) }
            if let sealed {
                document = try ShownDocument(decoding: try keyring.openRandomized(sealed, of: record, associatedData: [], db))
            }
            for name in only { document.entries[String(name)] = nil }
        }
        var fields = view.fieldsJSON(schema: schema)
        if let only { fields = fields.filter { only.contains(Substring($0.key)) } }
        let conflicts = view.conflicts
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
            document.entries[name] = ShownDocument.Entry(value: value, conflicts: conflictCount)
        }
        var plain = document.encoded()
        defer { for index in plain.indices { plain[index] = 0 } }
        try keyring.statements(.replaceShown, db)
            .run(
                .integer(collection), .text(view.id.text), .blob(try keyring.sealRandomized(plain, of: record, associatedData: [], db)),
                .integer(Int64(document.conflicts)))
    }
}
