import Foundation
import GRDBSQLite

/// The ceiling of the storage engine on this machine: a plain prepared-statement SQLite UPSERT of
/// (entity, field, value, timestamp, origin, sequence) rows, keeping the row with the larger
/// timestamp, in one transaction, WAL mode.
enum Ceiling {
    /// Seconds to upsert `entities` x `fields` rows into a new database in `directory`.
    static func upsert(entities: Int, fields: Int, valueLength: Int, directory: String) throws -> Double {
        let path = directory + "/ceiling-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchError("ceiling: \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        try exec("PRAGMA journal_mode = WAL")
        try exec(
            """
            CREATE TABLE fields (entity TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, ts INTEGER NOT NULL,
            origin BLOB NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (entity, field)) WITHOUT ROWID
            """)
        var statement: OpaquePointer?
        let sql = """
            INSERT INTO fields (entity, field, value, ts, origin, seq) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (entity, field) DO UPDATE SET value = excluded.value, ts = excluded.ts,
            origin = excluded.origin, seq = excluded.seq WHERE excluded.ts > fields.ts
            """
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("ceiling: cannot prepare")
        }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let origin = [UInt8](repeating: 7, count: 32)
        let fieldNames = (0..<fields).map { "field_\($0)" }
        let value = String(repeating: "v", count: valueLength)
        let start = DispatchTime.now().uptimeNanoseconds
        try exec("BEGIN")
        var sequence: Int64 = 0
        for entity in 0..<entities {
            let entityText = String(format: "%016x", entity)
            for field in fieldNames {
                sequence += 1
                sqlite3_bind_text(statement, 1, entityText, -1, transient)
                sqlite3_bind_text(statement, 2, field, -1, transient)
                sqlite3_bind_text(statement, 3, value, -1, transient)
                sqlite3_bind_int64(statement, 4, sequence << 16)
                origin.withUnsafeBytes { _ = sqlite3_bind_blob(statement, 5, $0.baseAddress, 32, transient) }
                sqlite3_bind_int64(statement, 6, sequence)
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("ceiling: step failed") }
                sqlite3_reset(statement)
            }
        }
        try exec("COMMIT")
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
