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
        try db.cachedStatement(
            sql: "SELECT origin, sequence, timestamp, value, field FROM live WHERE collection = ? AND record = ?"
        ).forEachRow(.integer(Int64(key.collection.rawValue)), .text(key.record.text)) { row in
            let field = row.text(4)
            if let only, !only.contains(field.prefix { $0 != "." }) { return }
            fields[field, default: []].append(try decode(row, origins: origins, keyring: keyring, record: key, field: field, db))
        }
        return RecordView(collection: key.collection, id: key.record, live: fields, schema: schema)
    }
}

/// Writes a record's shown values to the `shown` table behind the SQL views: registers as typed
/// values (text, integer, real, 0/1), sets, logs and entries as canonical JSON text.
enum ShownRow {
    /// Rewrites the shown values of `fields` (top-level field names) of the record, or of all its fields
    /// when `fields` is nil: a change to one field leaves the others' rows alone.
    static func replace(
        _ view: RecordView, _ db: Database, schema: Schema, keyring: Keyring, fields only: [Substring]? = nil
    ) throws {
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
            let record = FieldAddress.RecordKey(collection: view.collection, record: view.id)
            try insert.run(
                .integer(collection), .text(view.id.text), .text(name), try seal(value, of: record, field: name, keyring: keyring, db),
                .integer(Int64(conflictCount)))
        }
    }

    /// Seals a shown value under its record's key, with the field's name as associated data: one type byte
    /// (`i` integer, `r` real, `t` text) and the value (8 bytes little-endian, or UTF-8). NULL stays NULL.
    static func seal(_ value: SQLValue, of record: FieldAddress.RecordKey, field: String, keyring: Keyring, _ db: Database) throws
        -> SQLValue
    {
        var plain: [UInt8]
        switch value {
        case .null: return .null
        case .integer(let number): plain = [UInt8(ascii: "i")] + withUnsafeBytes(of: number.littleEndian) { Array($0) }
        case .real(let number): plain = [UInt8(ascii: "r")] + withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) }
        case .text(let text): plain = [UInt8(ascii: "t")] + Array(text.utf8)
        case .blob(let bytes): plain = [UInt8(ascii: "b")] + bytes
        }
        defer { for index in plain.indices { plain[index] = 0 } }
        return .blob(try keyring.sealRandomized(plain, of: record, associatedData: Array(field.utf8), db))
    }

    /// The value ``seal(_:of:field:keyring:_:)`` sealed, from its plaintext.
    static func unsealed(_ plain: [UInt8]) -> SQLValue? {
        guard let type = plain.first else { return nil }
        let body = plain.dropFirst()
        switch type {
        case UInt8(ascii: "i") where body.count == 8:
            return .integer(Int64(littleEndian: body.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
        case UInt8(ascii: "r") where body.count == 8:
            return .real(Double(bitPattern: UInt64(littleEndian: body.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })))
        case UInt8(ascii: "t"): return .text(String(decoding: body, as: UTF8.self))
        case UInt8(ascii: "b"): return .blob(Array(body))
        default: return nil
        }
    }
}
