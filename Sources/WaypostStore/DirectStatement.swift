import Foundation
import GRDB
import GRDBSQLite

/// A value bound straight to an SQLite statement parameter.
enum SQLValue: Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// Runs GRDB's cached statements by binding with SQLite's own functions (https://sqlite.org/c3ref/bind_blob.html),
/// for the statements that run once or more per change while merging.
///
/// GRDB's `StatementArguments` box every value and walk them through generic bindings; measured with
/// callgrind, building and binding them cost more instructions than SQLite's own work for these short
/// inserts. Errors become GRDB `DatabaseError`s with the result code, so a full disk is still
/// `SQLITE_FULL`. The statement is reset after each run, as GRDB expects.
extension Statement {
    /// Binds `values` to the parameters in order and runs the statement to completion.
    func run(_ values: SQLValue...) throws { try run(values) }

    /// Binds `values` to the parameters in order and runs the statement to completion.
    func run(_ values: [SQLValue]) throws {
        try bind(values)
        defer { sqlite3_reset(sqliteStatement) }
        var code = sqlite3_step(sqliteStatement)
        while code == SQLITE_ROW { code = sqlite3_step(sqliteStatement) }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// Binds `values` and returns whether the query gives at least one row.
    func hasRow(_ values: SQLValue...) throws -> Bool {
        try bind(values)
        defer { sqlite3_reset(sqliteStatement) }
        let code = sqlite3_step(sqliteStatement)
        guard code == SQLITE_ROW || code == SQLITE_DONE else { throw failure(code) }
        return code == SQLITE_ROW
    }

    /// Binds `values` and calls `body` with each row of the result.
    func forEachRow(_ values: SQLValue..., body: (DirectRow) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(sqliteStatement) }
        while true {
            let code = sqlite3_step(sqliteStatement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try body(DirectRow(statement: sqliteStatement))
        }
    }

    private func bind(_ values: [SQLValue]) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .text(let text):
                var text = text
                if text.isEmpty {
                    // An empty text still needs a pointer: SQLite binds NULL for a null one.
                    code = sqlite3_bind_text(statement, index, "", 0, Self.transient)
                } else {
                    code = text.withUTF8 { utf8 in
                        utf8.withMemoryRebound(to: CChar.self) { characters in
                            sqlite3_bind_text(statement, index, characters.baseAddress, Int32(characters.count), Self.transient)
                        }
                    }
                }
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), Self.transient)
                }
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(sqliteStatement)
        return DatabaseError(
            resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: sql)
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The current row of a statement run by ``GRDB/Statement/forEachRow(_:body:)``; valid only inside the call.
struct DirectRow {
    let statement: SQLiteStatement

    /// Column `index` (from 0) as an integer.
    func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

    /// Column `index` as bytes, or nil for NULL.
    func blob(_ index: Int32) -> [UInt8]? {
        guard sqlite3_column_type(statement, index) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Calls `body` with column `index`'s bytes in place (empty for NULL), without copying them.
    func withBlob<T>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let bytes = sqlite3_column_blob(statement, index)
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let bytes else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Column `index` as text (empty for NULL).
    func text(_ index: Int32) -> String {
        guard let characters = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }
}
