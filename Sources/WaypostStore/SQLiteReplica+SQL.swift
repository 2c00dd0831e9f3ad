import Foundation
import GRDB

/// One value in a row of ``SQLiteReplica/query(_:)``, with its SQLite type.
public enum QueryValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// An integer.
    case integer(Int64)
    /// A floating-point number.
    case real(Double)
    /// Text.
    case text(String)
    /// Bytes (an encrypted value read from a table rather than a view, for instance).
    case blob([UInt8])
}

/// What ``SQLiteReplica/query(_:)`` returns: column names, and rows in order.
public struct QueryResult: Sendable, Hashable {
    /// The result's column names.
    public let columns: [String]
    /// The rows, each with one value per column.
    public let rows: [[QueryValue]]
}

extension SQLiteReplica {
    /// Runs SQL statements (one or more, separated by `;`) on a separate read-only connection that holds the storage key, so the
    /// `cases` and `services` views show values in plain, as `sqlite3` would on an unencrypted file.
    ///
    /// Nothing can be written: the connection is opened read-only (`SQLITE_OPEN_READONLY`) and
    /// `query_only`, and sorts stay in memory so no decrypted value reaches a temporary file.
    ///
    /// - Returns: one result per statement.
    /// - Throws: ``StoreError`` `invalid` for SQL that SQLite refuses (with SQLite's message), `locked`
    ///   without the storage key.
    public func query(_ sql: String) throws(StoreError) -> [QueryResult] {
        let queue = try readOnlyQueue()
        do {
            return try queue.read { db in
                var results: [QueryResult] = []
                let statements = try db.allStatements(sql: sql)
                while let statement = try statements.next() {
                    results.append(try Self.result(of: statement))
                }
                return results
            }
        } catch let error as DatabaseError {
            throw StoreError(.invalid, "SQL error: \(error.message ?? "\(error.resultCode)")", cause: error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.invalid, "SQL error: \(error)")
        }
    }

    private static func result(of statement: Statement) throws -> QueryResult {
        let columns = statement.columnNames
        var rows: [[QueryValue]] = []
        let cursor = try Row.fetchCursor(statement)
        while let row = try cursor.next() {
            rows.append(
                row.databaseValues.map { value in
                    switch value.storage {
                    case .null: .null
                    case .int64(let number): .integer(number)
                    case .double(let number): .real(number)
                    case .string(let text): .text(text)
                    case .blob(let data): .blob(Array(data))
                    }
                })
        }
        return QueryResult(columns: columns, rows: rows)
    }

    /// A separate, read-only connection to the replica's file, with the function the views need.
    func readOnlyQueue() throws(StoreError) -> DatabaseQueue {
        let storage = try unlockedStorageKey()
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let schema = self.schema
        configuration.prepareDatabase { db in
            try SQLiteReplica.prepare(db, storageKey: storage, schema: schema)
            try ReplicaSchema.createViews(db, schema: schema)
            // The views are TEMP, which a read-only file would still let a statement drop or add to:
            // from here on the connection changes nothing, not even its own memory
            // (https://sqlite.org/pragma.html#pragma_query_only).
            try db.execute(sql: "PRAGMA query_only = ON")
        }
        let path = database.path
        return try SQLiteReplica.run { try DatabaseQueue(path: path, configuration: configuration) }
    }
}
