import GRDB
import WaypostCore

/// Reads and writes a record's ``RecordState`` in its `shown` row: one row per record, the state sealed
/// under the record's key with a random nonce, and the number of conflicted fields in clear (indexed, so
/// `waypost conflicts` opens only conflicted records).
enum RecordStateRow {
    /// The record's state, or nil if it has no row.
    static func load(_ key: FieldAddress.RecordKey, _ db: Database, keyring: Keyring) throws -> RecordState? {
        var sealed: [UInt8]?
        try keyring.statements(.selectShown, db)
            .forEachRow(.integer(Int64(key.collection.rawValue)), .text(key.record.text)) { row in sealed = row.blob(0) }
        guard let sealed else { return nil }
        var plain = try keyring.openRandomized(sealed, of: key, associatedData: [], db)
        defer { for index in plain.indices { plain[index] = 0 } }
        return try RecordState(decoding: plain)
    }

    /// Writes the record's state.
    static func save(_ state: RecordState, of key: FieldAddress.RecordKey, _ db: Database, keyring: Keyring) throws {
        var plain = state.encoded()
        defer { for index in plain.indices { plain[index] = 0 } }
        try keyring.statements(.replaceShown, db).run(
            .integer(Int64(key.collection.rawValue)), .text(key.record.text),
            .blob(try keyring.sealRandomized(plain, of: key, associatedData: [], db)), .integer(Int64(state.shown.conflicts)))
    }

    /// One record's view, from its live values.
    static func view(
        of key: FieldAddress.RecordKey, _ db: Database, origins: OriginTable, keyring: Keyring, schema: Schema
    ) throws -> RecordView {
        let state = try load(key, db, keyring: keyring) ?? RecordState()
        return RecordView(collection: key.collection, id: key.record, live: try state.liveValues(origins: origins), schema: schema)
    }
}
