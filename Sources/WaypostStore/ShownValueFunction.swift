import Foundation
import GRDB
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
enum ShownValueFunction {
    static let name = "waypost_shown"

    static func make(_ storage: StorageKey) -> DatabaseFunction {
        DatabaseFunction(name, argumentCount: 5, pure: true) { arguments in
            guard let sealed = Data.fromDatabaseValue(arguments[3]) else { return nil }
            guard let wrapped = Data.fromDatabaseValue(arguments[0]), let collectionCode = Int64.fromDatabaseValue(arguments[1]),
                let collection = RecordCollection(rawValue: UInt8(truncatingIfNeeded: collectionCode)),
                let record = String.fromDatabaseValue(arguments[2]), let field = String.fromDatabaseValue(arguments[4])
            else { throw StoreError.damaged("a shown value") }
            let address = FieldAddress.RecordKey(collection: collection, record: RecordID(canonical: record))
            let keyring = Keyring(storage)
            let key = try keyring.unwrap(Array(wrapped), for: address)
            let document = try ShownDocument(decoding: try Keyring.openPrefixed(Array(sealed), key: key, associatedData: []))
            switch try document.entries[field]?.value() {
            case .integer(let number): return number
            case .real(let number): return number
            case .text(let text): return text
            case .blob(let bytes): return Data(bytes)
            case .null, nil: return nil
            }
        }
    }
}
