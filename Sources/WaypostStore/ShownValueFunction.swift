import Foundation
import GRDB
import GRDBSQLite
import WaypostCore
import WaypostCrypto

/// The SQL function `waypost_shown(wrapped_key, collection, record, doc, field)` behind the `cases` and
/// `services` views: it unwraps the record's key with the storage key, opens the record's
/// ``ShownDocument`` and returns one field's shown value, so that a connection opened with the node's key
/// reads the views in plain, and any other (plain `sqlite3` on a copied file) fails with "no such
/// function".
///
/// It returns the value with its SQL type (integer, real or text), NULL for a field with no value, and
/// fails the query for bytes that do not open.
///
/// The function is registered with `SQLITE_DIRECTONLY` (https://sqlite.org/c3ref/c_deterministic.html#sqlitedirectonly):
/// SQLite refuses to run it from any trigger, view, index or constraint stored in the database file, so
/// that a trigger planted in the file with `sqlite3` (which could copy every decrypted value into a table
/// in clear the next time the node reads a case) fails with "unsafe use of waypost_shown()". The node's own
/// views are `TEMP` views made by each connection (``ReplicaSchema/createViews(_:schema:)``), which SQLite
/// treats as top-level SQL. GRDB's `DatabaseFunction` cannot set that flag, so this one is registered with
/// `sqlite3_create_function_v2` directly.
enum ShownValueFunction {
    static let name = "waypost_shown"

    /// What the function's C callback reaches through `sqlite3_user_data`.
    private final class Context {
        let storage: StorageKey
        init(_ storage: StorageKey) { self.storage = storage }
    }

    /// Registers the function on `db`'s connection, opening values with `storage`.
    static func install(_ storage: StorageKey, in db: Database) throws {
        let context = Unmanaged.passRetained(Context(storage)).toOpaque()
        let code = sqlite3_create_function_v2(
            db.sqliteConnection, name, 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, context,
            { invocation, count, arguments in
                guard let invocation, let arguments, count == 5, let pointer = sqlite3_user_data(invocation) else { return }
                let storage = Unmanaged<Context>.fromOpaque(pointer).takeUnretainedValue().storage
                do {
                    try ShownValueFunction.evaluate(storage, Arguments(arguments), into: invocation)
                } catch let error as StoreError {
                    sqlite3_result_error(invocation, error.message, -1)
                } catch {
                    sqlite3_result_error(invocation, StoreError.damaged("a shown value").message, -1)
                }
            }, nil, nil,
            { pointer in pointer.map { Unmanaged<Context>.fromOpaque($0).release() } })
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register \(name)")
        }
    }

    /// The five arguments, read with SQLite's value functions (https://sqlite.org/c3ref/value_blob.html).
    private struct Arguments {
        let values: UnsafeMutablePointer<OpaquePointer?>

        init(_ values: UnsafeMutablePointer<OpaquePointer?>) { self.values = values }

        func bytes(_ index: Int) -> [UInt8]? {
            let value = values[index]
            switch sqlite3_value_type(value) {
            case SQLITE_BLOB:
                let count = Int(sqlite3_value_bytes(value))
                guard count > 0, let start = sqlite3_value_blob(value) else { return [] }
                return Array(UnsafeRawBufferPointer(start: start, count: count))
            default: return nil
            }
        }

        func text(_ index: Int) -> String? {
            let value = values[index]
            guard sqlite3_value_type(value) == SQLITE_TEXT, let start = sqlite3_value_text(value) else { return nil }
            let count = Int(sqlite3_value_bytes(value))
            return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        }

        func integer(_ index: Int) -> Int64? {
            let value = values[index]
            guard sqlite3_value_type(value) == SQLITE_INTEGER else { return nil }
            return sqlite3_value_int64(value)
        }
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the result before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func evaluate(_ storage: StorageKey, _ arguments: Arguments, into invocation: OpaquePointer) throws {
        guard let sealed = arguments.bytes(3) else { return sqlite3_result_null(invocation) }
        guard let wrapped = arguments.bytes(0), let collectionCode = arguments.integer(1),
            let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: collectionCode)),
            let record = arguments.text(2), let field = arguments.text(4)
        else { throw StoreError.damaged("a shown value") }
        let address = FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record))
        let key = try Keyring(storage).unwrap(wrapped, for: address)
        let document = try ShownDocument(decoding: try Keyring.openPrefixed(sealed, key: key, associatedData: []))
        switch try document.entries[field]?.value() {
        case .integer(let number): sqlite3_result_int64(invocation, number)
        case .real(let number): sqlite3_result_double(invocation, number)
        case .text(let text):
            // The explicit length keeps every byte; `withCString` gives a pointer even for "".
            let count = Int32(text.utf8.count)
            text.withCString { sqlite3_result_text(invocation, $0, count, transient) }
        case .blob(let bytes):
            if bytes.isEmpty { return sqlite3_result_zeroblob(invocation, 0) }
            bytes.withUnsafeBytes { buffer in
                sqlite3_result_blob(invocation, buffer.baseAddress, Int32(buffer.count), transient)
            }
        case .null, nil: sqlite3_result_null(invocation)
        }
    }
}
